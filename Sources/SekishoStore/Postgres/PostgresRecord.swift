import Foundation
import PostgresNIO

/// One result row, read by column name; the domain models are built from it.
///
/// Column names are the SQLite ones (snake_case); `prefix` reads the columns of a joined table
/// selected as `u.id AS u_id, ...`. Dates are `DOUBLE PRECISION` seconds since 1970.
struct PostgresRecord {
    let row: PostgresRandomAccessRow
    var prefix = ""

    init(_ row: PostgresRow) {
        self.row = row.makeRandomAccess()
    }

    func callAsFunction<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try row[prefix + column].decode(T.self)
    }

    func callAsFunction<T: PostgresDecodable>(_ index: Int, as type: T.Type = T.self) throws -> T {
        try row[index].decode(T.self)
    }

    func date(_ column: String) throws -> Date {
        Date(timeIntervalSince1970: try self(column, as: Double.self))
    }

    func optionalDate(_ column: String) throws -> Date? {
        try self(column, as: Double?.self).map(Date.init(timeIntervalSince1970:))
    }

    func enumeration<T: RawRepresentable>(_ column: String, as type: T.Type) throws -> T where T.RawValue == String {
        let raw = try self(column, as: String.self)
        guard let value = T(rawValue: raw) else {
            throw PostgresStoreError(sqlState: nil, message: "unexpected value \(raw) in column \(column)")
        }
        return value
    }

    /// The same row, reading the columns named `prefix` + name.
    func scoped(_ prefix: String) -> PostgresRecord {
        var copy = self
        copy.prefix = prefix
        return copy
    }
}

extension Optional where Wrapped == PostgresRecord {
    /// The row a statement with `RETURNING` must produce.
    func required(_ what: String) throws -> PostgresRecord {
        guard let self else { throw PostgresStoreError(sqlState: nil, message: "no row returned for \(what)") }
        return self
    }
}

/// Column lists, so that joins can rename one table's columns with a prefix.
enum PostgresColumns {
    static let user = [
        "id", "username", "display_name", "email", "role", "password_hash", "two_factor_enabled", "created_at", "updated_at",
        "last_sign_in_at",
    ]

    /// `alias.column AS prefixcolumn, ...` for a select list.
    static func select(_ columns: [String], from alias: String, prefix: String) -> String {
        columns.map { "\(alias).\($0) AS \(prefix)\($0)" }.joined(separator: ", ")
    }
}

extension User {
    init(_ record: PostgresRecord) throws {
        self.init(
            id: try record("id"),
            username: try record("username"),
            displayName: try record("display_name"),
            email: try record("email"),
            role: try record.enumeration("role", as: Role.self),
            passwordHash: try record("password_hash"),
            twoFactorEnabled: try record("two_factor_enabled"),
            createdAt: try record.date("created_at"),
            updatedAt: try record.date("updated_at"),
            lastSignInAt: try record.optionalDate("last_sign_in_at")
        )
    }
}

extension TOTPBinding {
    init(_ record: PostgresRecord) throws {
        self.init(
            userID: try record("user_id"),
            sealedSecret: try record("sealed_secret"),
            algorithm: try record("algorithm"),
            digits: try record("digits"),
            period: try record("period"),
            lastStep: try record("last_step"),
            confirmedAt: try record.date("confirmed_at")
        )
    }
}

extension PendingEnrollment {
    init(_ record: PostgresRecord) throws {
        self.init(
            id: try record("id"),
            userID: try record("user_id"),
            sessionIDHash: try record("session_id_hash"),
            sealedSecret: try record("sealed_secret"),
            algorithm: try record("algorithm"),
            digits: try record("digits"),
            period: try record("period"),
            createdAt: try record.date("created_at"),
            expiresAt: try record.date("expires_at")
        )
    }
}

extension SessionRecord {
    init(_ record: PostgresRecord) throws {
        self.init(
            idHash: try record("id_hash"),
            userID: try record("user_id"),
            state: try record.enumeration("state", as: State.self),
            createdAt: try record.date("created_at"),
            lastSeenAt: try record.date("last_seen_at"),
            expiresAt: try record.date("expires_at"),
            authenticatedAt: try record.date("authenticated_at"),
            clientAddress: try record("client_address")
        )
    }
}

extension AttemptRecord {
    init(_ record: PostgresRecord) throws {
        self.init(
            scope: try record.enumeration("scope", as: Scope.self),
            key: try record("key"),
            failures: try record("failures"),
            windowStart: try record.date("window_start"),
            lockedUntil: try record.optionalDate("locked_until")
        )
    }
}

extension OutboxMail {
    init(_ record: PostgresRecord) throws {
        self.init(
            id: try record("id"),
            recipient: try record("recipient"),
            subject: try record("subject"),
            textBody: try record("text_body"),
            htmlBody: try record("html_body"),
            sealedBody: try record("sealed_body"),
            createdAt: try record.date("created_at"),
            attempts: try record("attempts"),
            nextTryAt: try record.date("next_try_at"),
            sentAt: try record.optionalDate("sent_at"),
            failedAt: try record.optionalDate("failed_at"),
            lastError: try record("last_error"),
            claimedUntil: try record.optionalDate("claimed_until")
        )
    }
}

extension AuditEvent {
    init(_ record: PostgresRecord) throws {
        self.init(
            id: try record("id"),
            at: try record.date("at"),
            kind: try record("kind"),
            actorUserID: try record("actor_user_id"),
            subjectUserID: try record("subject_user_id"),
            username: try record("username"),
            clientAddress: try record("client_address"),
            detail: try record("detail")
        )
    }
}
