import Foundation
import GRDB

// The records read on every request (sessions with their user, bindings, attempt counts),
// decoded column by column: GRDB's Codable decoding of the same rows was 8 % of a code check
// in the profile. Column names and types are those of SQLiteMigrations; a value that is not
// one of an enumeration's cases throws instead of being guessed.

extension User {
    public init(row: Row) throws {
        self.init(
            id: row["id"],
            username: row["username"],
            displayName: row["display_name"],
            email: row["email"],
            role: try Self.enumeration(row, "role"),
            passwordHash: row["password_hash"],
            twoFactorEnabled: row["two_factor_enabled"],
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            updatedAt: Date(timeIntervalSince1970: row["updated_at"]),
            lastSignInAt: (row["last_sign_in_at"] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }
}

extension SessionRecord {
    public init(row: Row) throws {
        self.init(
            idHash: row["id_hash"],
            userID: row["user_id"],
            state: try Self.enumeration(row, "state"),
            createdAt: Date(timeIntervalSince1970: row["created_at"]),
            lastSeenAt: Date(timeIntervalSince1970: row["last_seen_at"]),
            expiresAt: Date(timeIntervalSince1970: row["expires_at"]),
            authenticatedAt: Date(timeIntervalSince1970: row["authenticated_at"]),
            clientAddress: row["client_address"]
        )
    }
}

extension TOTPBinding {
    public init(row: Row) throws {
        self.init(
            userID: row["user_id"],
            sealedSecret: row["sealed_secret"],
            algorithm: row["algorithm"],
            digits: row["digits"],
            period: row["period"],
            lastStep: row["last_step"],
            confirmedAt: Date(timeIntervalSince1970: row["confirmed_at"])
        )
    }
}

extension AttemptRecord {
    public init(row: Row) throws {
        self.init(
            scope: try Self.enumeration(row, "scope"),
            key: row["key"],
            failures: row["failures"],
            windowStart: Date(timeIntervalSince1970: row["window_start"]),
            lockedUntil: (row["locked_until"] as Double?).map(Date.init(timeIntervalSince1970:))
        )
    }
}

extension FetchableRecord {
    /// The column's text as one of `T`'s cases.
    fileprivate static func enumeration<T: RawRepresentable>(_ row: Row, _ column: String) throws -> T where T.RawValue == String {
        let raw: String = row[column]
        guard let value = T(rawValue: raw) else {
            throw DatabaseError(resultCode: .SQLITE_MISMATCH, message: "\(Self.self).\(column) holds '\(raw)'")
        }
        return value
    }
}
