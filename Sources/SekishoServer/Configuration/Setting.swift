import Foundation

/// A configuration key with the Swift type its value is read as and the values it accepts.
///
/// Declared once each in ``Settings``: name, default, range or choices, and help text; the
/// parser reads a setting through its handle (`try reader.value(Settings.serverPort)`), so there
/// is no lookup by name to get wrong. The untyped ``ConfigurationKey`` it carries is what the
/// loader checks keys against and what the documentation lists.
struct Setting<Value>: Sendable {
    let key: ConfigurationKey
    /// Turns what the operator wrote (or the default) into the value; a refusal names the key.
    let decode: @Sendable (SettingText) throws(ConfigurationError) -> Value

    var name: String { key.name }
}

/// What the layered configuration holds for one key: a text, or the items of a YAML list.
struct SettingText: Sendable {
    /// The trimmed text, the default when nothing was set; nil when empty.
    var text: String?
    /// The items of a YAML list; empty when the value was given as one text.
    var items: [String]
}

extension Setting<String> {
    /// Text that must not be empty.
    static func text(_ name: String, default value: String, _ help: String, secret: Bool = false) -> Self {
        Self(key: ConfigurationKey(name, value, help, secret: secret)) { raw throws(ConfigurationError) in
            guard let text = raw.text else { throw ConfigurationError(key: name, "must not be empty") }
            return text
        }
    }

    /// One of a few words, written in any case (`sha1` is `SHA1`).
    static func word(_ name: String, default value: String, among allowed: [String], _ help: String) -> Self {
        Self(key: ConfigurationKey(name, value, help)) { raw throws(ConfigurationError) in
            let text = (raw.text ?? "").uppercased()
            guard allowed.contains(text) else {
                throw ConfigurationError(key: name, "expected one of \(allowed.joined(separator: ", ")), got '\(text)'")
            }
            return text
        }
    }
}

extension Setting<String?> {
    /// Text with no default: nil when unset (off, or derived from another setting).
    static func optionalText(_ name: String, _ help: String, secret: Bool = false) -> Self {
        Self(key: ConfigurationKey(name, nil, help, secret: secret)) { raw in raw.text }
    }
}

extension Setting<Int> {
    static func wholeNumber(_ name: String, default value: Int, in range: ClosedRange<Int>, _ help: String) -> Self {
        precondition(range.contains(value), "the default of \(name) is outside its range")
        return Self(key: ConfigurationKey(name, String(value), help)) { raw throws(ConfigurationError) in
            guard let value = try Setting<Int?>.wholeNumber(raw.text, name: name, in: range) else {
                throw ConfigurationError(key: name, "must not be empty")
            }
            return value
        }
    }
}

extension Setting<Int?> {
    /// A whole number with no default: nil when unset.
    static func optionalWholeNumber(_ name: String, in range: ClosedRange<Int>, _ help: String) -> Self {
        Self(key: ConfigurationKey(name, nil, help)) { raw throws(ConfigurationError) in
            try wholeNumber(raw.text, name: name, in: range)
        }
    }

    fileprivate static func wholeNumber(_ text: String?, name: String, in range: ClosedRange<Int>) throws(ConfigurationError) -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw ConfigurationError(key: name, "expected a whole number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
        }
        return value
    }
}

extension Setting<Double> {
    static func number(_ name: String, default value: Double, in range: ClosedRange<Double>, _ help: String) -> Self {
        precondition(range.contains(value), "the default of \(name) is outside its range")
        // Written as an operator would: 60, not 60.0.
        let text = value == value.rounded() ? String(Int(value)) : String(value)
        return Self(key: ConfigurationKey(name, text, help)) { raw throws(ConfigurationError) in
            let text = raw.text ?? ""
            guard let value = Double(text), range.contains(value) else {
                throw ConfigurationError(key: name, "expected a number from \(range.lowerBound) to \(range.upperBound), got '\(text)'")
            }
            return value
        }
    }
}

extension Setting<Bool> {
    static func flag(_ name: String, default value: Bool, _ help: String) -> Self {
        Self(key: ConfigurationKey(name, value ? "true" : "false", help)) { raw throws(ConfigurationError) in
            switch (raw.text ?? "").lowercased() {
            case "true", "yes", "on", "1": return true
            case "false", "no", "off", "0": return false
            case let other: throw ConfigurationError(key: name, "expected true or false, got '\(other)'")
            }
        }
    }
}

extension Setting<[String]> {
    /// A YAML list, or one comma-separated text (environment variables, flags); at least one item.
    static func list(_ name: String, default value: String, _ help: String) -> Self {
        Self(key: ConfigurationKey(name, value, help, list: true)) { raw throws(ConfigurationError) in
            let items = items(of: raw)
            guard !items.isEmpty else { throw ConfigurationError(key: name, "must list at least one value") }
            return items
        }
    }

    /// A list that may be empty.
    static func optionalList(_ name: String, default value: String?, _ help: String) -> Self {
        Self(key: ConfigurationKey(name, value, help, list: true)) { raw in items(of: raw) }
    }

    private static func items(of raw: SettingText) -> [String] {
        let items = raw.items.isEmpty ? (raw.text ?? "").split(separator: ",").map(String.init) : raw.items
        return items.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}

extension Setting where Value: RawRepresentable<String> & CaseIterableByName & Sendable {
    /// One of the enumeration's words, written in any case.
    static func choice(_ name: String, default value: Value, _ help: String) -> Self {
        Self(key: ConfigurationKey(name, value.rawValue, help)) { raw throws(ConfigurationError) in
            let text = raw.text ?? ""
            guard let value = Value(rawValue: text.lowercased()) else {
                throw ConfigurationError(key: name, "expected one of \(Value.names.joined(separator: ", ")), got '\(text)'")
            }
            return value
        }
    }
}
