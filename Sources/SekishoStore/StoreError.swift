/// Errors a store reports in terms of the domain, not of the database engine.
public struct StoreError: Error, Equatable, CustomStringConvertible {
    private enum Kind: Equatable {
        case duplicate(String)
        case notFound(String)
        case unavailable(String)
        case unreadable(String)
    }

    private let kind: Kind

    /// A unique value (for example a user name) is already taken.
    public static func duplicate(_ what: String) -> StoreError { StoreError(kind: .duplicate(what)) }
    public static func notFound(_ what: String) -> StoreError { StoreError(kind: .notFound(what)) }
    /// The database is busy, read-only or unreachable: worth a 503, not a 500.
    public static func unavailable(_ why: String) -> StoreError { StoreError(kind: .unavailable(why)) }

    /// A stored value is not what the schema promises (a NULL where none may be, an unknown case
    /// of an enumeration): never guessed.
    public static func unreadable(_ what: String) -> StoreError { StoreError(kind: .unreadable(what)) }

    public var isDuplicate: Bool { if case .duplicate = kind { true } else { false } }
    public var isNotFound: Bool { if case .notFound = kind { true } else { false } }
    public var isUnavailable: Bool { if case .unavailable = kind { true } else { false } }

    public var description: String {
        switch kind {
        case .duplicate(let what): "\(what) already exists"
        case .notFound(let what): "\(what) not found"
        case .unavailable(let why): "database unavailable: \(why)"
        case .unreadable(let what): "unreadable value in the database: \(what)"
        }
    }
}
