import Foundation

/// A statement written once for both engines: text with its parameters in place.
///
/// `"SELECT * FROM session WHERE id_hash = \(idHash)"` binds `idHash` as a parameter; each engine
/// writes the placeholders its own way (`?` for SQLite, `$1`, `$2`, … for PostgreSQL), so no value
/// is ever spliced into the text. `\(raw:)` inserts SQL text (a dialect's function name, a
/// shared fragment), never a value.
public struct SQL: Sendable, Equatable, ExpressibleByStringInterpolation {
    enum Part: Sendable, Equatable {
        case text(String)
        case value(SQLValue)
    }

    private(set) var parts: [Part]

    public init(stringLiteral value: String) {
        parts = [.text(value)]
    }

    public init(stringInterpolation: StringInterpolation) {
        parts = stringInterpolation.parts
    }

    public struct StringInterpolation: StringInterpolationProtocol {
        var parts: [Part] = []

        public init(literalCapacity: Int, interpolationCount: Int) {}

        public mutating func appendLiteral(_ literal: String) {
            parts.append(.text(literal))
        }

        public mutating func appendInterpolation(_ value: some SQLBindable) {
            parts.append(.value(value.sqlValue))
        }

        public mutating func appendInterpolation(_ value: (some SQLBindable)?) {
            parts.append(.value(value?.sqlValue ?? .null))
        }

        /// SQL text, such as a fragment shared by several statements: never a value.
        public mutating func appendInterpolation(raw text: String) {
            parts.append(.text(text))
        }

        /// Another statement's text and parameters, in place.
        public mutating func appendInterpolation(_ fragment: SQL) {
            parts += fragment.parts
        }
    }

    /// The text with numbered placeholders, and the values in their order.
    func rendered(placeholder: (Int) -> String) -> (text: String, values: [SQLValue]) {
        var text = ""
        var values: [SQLValue] = []
        for part in parts {
            switch part {
            case .text(let literal):
                text += literal
            case .value(let value):
                values.append(value)
                text += placeholder(values.count)
            }
        }
        return (text, values)
    }

    /// `fragments` joined by `separator` (a list of values, of conditions).
    static func joined(_ fragments: [SQL], separator: String) -> SQL {
        var joined = SQL(stringLiteral: "")
        for (index, fragment) in fragments.enumerated() {
            if index > 0 { joined.parts.append(.text(separator)) }
            joined.parts += fragment.parts
        }
        return joined
    }
}

/// A parameter value; each engine binds it with its own types.
public enum SQLValue: Sendable, Equatable {
    case text(String)
    case real(Double)
    case integer(Int64)
    case bool(Bool)
    case blob(Data)
    case null
}

/// A Swift value that can be a statement's parameter.
public protocol SQLBindable {
    var sqlValue: SQLValue { get }
}

extension String: SQLBindable {
    public var sqlValue: SQLValue { .text(self) }
}

extension Int: SQLBindable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int64: SQLBindable {
    public var sqlValue: SQLValue { .integer(self) }
}

extension Double: SQLBindable {
    public var sqlValue: SQLValue { .real(self) }
}

extension Bool: SQLBindable {
    public var sqlValue: SQLValue { .bool(self) }
}

extension Data: SQLBindable {
    public var sqlValue: SQLValue { .blob(self) }
}

/// Times are stored as seconds since 1970 (`REAL`, `DOUBLE PRECISION`) in both engines, so that
/// comparisons are plain numeric ones.
extension Date: SQLBindable {
    public var sqlValue: SQLValue { .real(timeIntervalSince1970) }
}
