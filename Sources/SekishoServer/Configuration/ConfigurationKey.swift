/// One configuration key Sekisho understands: its default and what it means.
///
/// Each key is declared once, typed, in ``Settings``; `ConfigurationKey.all` lists them for
/// refusing unknown keys and for the operator documentation.
public struct ConfigurationKey: Sendable {
    public let name: String
    /// nil: no default (the setting is off or derived from another one).
    public let defaultValue: String?
    public let help: String
    public let isList: Bool
    public let isSecret: Bool

    init(_ name: String, _ defaultValue: String?, _ help: String, list: Bool = false, secret: Bool = false) {
        self.name = name
        self.defaultValue = defaultValue
        self.help = help
        self.isList = list
        self.isSecret = secret
    }

    /// The environment variable that sets this key: `server.public_url` → `SEKISHO_SERVER_PUBLIC_URL`.
    public var environmentName: String {
        "SEKISHO_" + name.uppercased().map { $0 == "." ? "_" : $0 }.map(String.init).joined()
    }

    /// Every key, from the declarations in ``Settings``.
    public static let all: [ConfigurationKey] = Settings.all

    public static let byName: [String: ConfigurationKey] = Dictionary(uniqueKeysWithValues: all.map { ($0.name, $0) })
}
