import Configuration
import Foundation
import Logging
import Yams

/// Reads the configuration file, then `SEKISHO_...` environment variables, then command-line
/// overrides (each later source wins), refusing unknown keys and values out of range.
public struct ConfigurationLoader: Sendable {
    /// Variables with the prefix that are not configuration keys.
    static let otherEnvironmentNames: Set<String> = ["SEKISHO_CONFIG"]

    public var filePath: String?
    public var environment: [String: String]
    public var overrides: [String: String]

    /// - Parameters:
    ///   - filePath: YAML file; nil reads none. A missing file is an error only when named explicitly.
    ///   - environment: Usually `ProcessInfo.processInfo.environment`.
    ///   - overrides: `key: value` pairs from command-line flags.
    public init(filePath: String?, environment: [String: String], overrides: [String: String] = [:]) {
        self.filePath = filePath
        self.environment = environment
        self.overrides = overrides
    }

    public func load() async throws(ConfigurationError) -> SekishoConfiguration {
        try checkOverrides()
        try checkEnvironment()
        let flagValues = overrides.map {
            (AbsoluteConfigKey($0.key.split(separator: ".").map(String.init)), ConfigValue(.string($0.value), isSecret: false))
        }
        // `server.public_url` is read as SERVER_PUBLIC_URL, so the variables lose their prefix here.
        let variables = environment.reduce(into: [String: String]()) { result, pair in
            if pair.key.hasPrefix("SEKISHO_"), !Self.otherEnvironmentNames.contains(pair.key) {
                result[String(pair.key.dropFirst("SEKISHO_".count))] = pair.value
            }
        }
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: Dictionary(flagValues, uniquingKeysWith: { $1 })),
            EnvironmentVariablesProvider(environmentVariables: variables),
        ]
        var oidcClients: [ConfiguredOIDCClient]?
        if let filePath {
            // Read with Yams here rather than by swift-configuration's YAML provider: the file may
            // hold `oidc.clients`, a list of mappings, which that provider refuses outright.
            let file = try readFile(filePath)
            oidcClients = file.oidcClients
            providers.append(InMemoryProvider(name: filePath, values: file.values))
        }
        var configuration = try SettingsParser(reader: ConfigReader(providers: providers)).parse()
        configuration.oidcClients = oidcClients
        return configuration
    }

    private func checkOverrides() throws(ConfigurationError) {
        for key in overrides.keys where ConfigurationKey.byName[key] == nil {
            throw ConfigurationError(key: key, "unknown key\(Self.suggestion(for: key))")
        }
    }

    private func checkEnvironment() throws(ConfigurationError) {
        let known = Set(ConfigurationKey.all.map(\.environmentName)).union(Self.otherEnvironmentNames)
        for name in environment.keys.sorted() where name.hasPrefix("SEKISHO_") && !known.contains(name) {
            throw ConfigurationError(key: name, "unknown environment variable; known ones are SEKISHO_ followed by a key in upper case")
        }
    }

    /// What the file holds: its settings as flat keys, and the OpenID clients it lists (nil when none).
    private struct FileContents {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        var oidcClients: [ConfiguredOIDCClient]?
    }

    /// Reads the file's settings, refusing unknown keys: swift-configuration ignores keys nobody
    /// asks for, and an operator's typo must not go unnoticed.
    private func readFile(_ path: String) throws(ConfigurationError) -> FileContents {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(key: path, "cannot read the configuration file (\(error.localizedDescription))")
        }
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw ConfigurationError(key: path, "not valid YAML: \(error)")
        }
        var contents = FileContents()
        guard let node else { return contents }
        guard case .mapping = node else { throw ConfigurationError(key: path, "the top level must be a mapping of keys") }
        for (key, value) in Self.flatten(node, prefix: "") {
            if key == Self.oidcClientsKey {
                contents.oidcClients = try ConfiguredOIDCClient.list(from: value)
                continue
            }
            guard let definition = ConfigurationKey.byName[key] else {
                throw ConfigurationError(key: key, "unknown key in \(path)\(Self.suggestion(for: key))")
            }
            if case .mapping = value {
                throw ConfigurationError(key: key, "expected a value, found a mapping")
            }
            let content: ConfigContent
            switch value {
            case .scalar(let scalar):
                content = .string(scalar.string)
            case .sequence(let items):
                guard definition.isList else { throw ConfigurationError(key: key, "expected a single value, found a list") }
                var strings: [String] = []
                for item in items {
                    guard case .scalar(let scalar) = item else { throw ConfigurationError(key: key, "expected a list of values") }
                    strings.append(scalar.string)
                }
                content = .stringArray(strings)
            default:
                throw ConfigurationError(key: key, "expected a value")
            }
            contents.values[AbsoluteConfigKey(key.split(separator: ".").map(String.init))] = ConfigValue(content, isSecret: definition.isSecret)
        }
        return contents
    }

    /// The one key of the file that is not a setting of ``Settings``.
    static let oidcClientsKey = "oidc.clients"

    private static func flatten(_ node: Node, prefix: String) -> [(String, Node)] {
        guard case .mapping(let mapping) = node else { return [(prefix, node)] }
        return mapping.flatMap { pair -> [(String, Node)] in
            let name = prefix.isEmpty ? (pair.key.string ?? "?") : "\(prefix).\(pair.key.string ?? "?")"
            // The clients' list is read as a whole, whatever its shape, so that a wrong shape is named.
            if case .mapping = pair.value, name != oidcClientsKey { return flatten(pair.value, prefix: name) }
            return [(name, pair.value)]
        }
    }

    private static func suggestion(for key: String) -> String {
        let section = key.split(separator: ".").first.map(String.init) ?? key
        let near = ConfigurationKey.all.map(\.name).filter { $0.hasPrefix(section + ".") }
        return near.isEmpty ? "" : " (keys in \(section): \(near.joined(separator: ", ")))"
    }
}
