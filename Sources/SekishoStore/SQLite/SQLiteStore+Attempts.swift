import Foundation
import GRDB
import SekishoCore

extension SQLiteStore: AttemptStore {
    public func attempt(scope: AttemptRecord.Scope, key: String) async throws -> AttemptRecord? {
        try await readOneStatement { db in
            let statement = try db.cachedStatement(
                sql: "SELECT scope, key, failures, window_start, locked_until FROM attempt WHERE scope = ? AND key = ?"
            )
            return try Row.fetchOne(statement, arguments: [scope.rawValue, key]).map(AttemptRecord.init(row:))
        }
    }

    public func chargeAttempt(
        account: String,
        address: String,
        at now: Date,
        accountPolicy: LockoutPolicy,
        addressPolicy: LockoutPolicy
    ) async throws -> AttemptCharge? {
        do {
            // One write transaction: SQLite runs one writer at a time, across processes too, and a
            // refused address rolls back the account's charge.
            return try await write { db in
                guard let accountRow = try Self.charge(.account, key: account, at: now, policy: accountPolicy, in: db) else {
                    return nil
                }
                guard let addressRow = try Self.charge(.address, key: address, at: now, policy: addressPolicy, in: db) else {
                    throw AttemptChargeRefused()
                }
                return AttemptCharge(
                    account: account,
                    address: address,
                    accountFailures: accountRow.failures,
                    accountLockedUntil: accountRow.lockedUntil,
                    addressLockedUntil: addressRow.lockedUntil
                )
            }
        } catch is AttemptChargeRefused {
            return nil
        }
    }

    private static let chargeSQL = AttemptChargeStatement.chargeSQL { ":\($0)" }
    private static let refundSQL = AttemptChargeStatement.refundSQL { ":\($0)" }

    private static func arguments(_ values: [String: SQLValue]) -> StatementArguments {
        StatementArguments(
            values.mapValues { value -> DatabaseValue in
                switch value {
                case .text(let text): text.databaseValue
                case .real(let real): real.databaseValue
                case .integer(let integer): integer.databaseValue
                case .null: .null
                }
            }
        )
    }

    /// The charge of one scope, or nil when it must wait.
    private static func charge(
        _ scope: AttemptRecord.Scope,
        key: String,
        at now: Date,
        policy: LockoutPolicy,
        in db: Database
    ) throws -> (failures: Int, lockedUntil: Date?)? {
        let statement = try db.cachedStatement(sql: chargeSQL)
        let values = AttemptChargeStatement.chargeValues(scope: scope, key: key, at: now, policy: policy)
        guard let row = try Row.fetchOne(statement, arguments: arguments(values)) else { return nil }
        return (row["failures"], (row["locked_until"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    static func settle(_ settlement: AttemptSettlement, in db: Database) throws {
        switch settlement {
        case .refund(let charge):
            try refund(.account, key: charge.account, lockedUntil: charge.accountLockedUntil, in: db)
            try refund(.address, key: charge.address, lockedUntil: charge.addressLockedUntil, in: db)
        case .signedIn(let charge):
            try db.cachedStatement(sql: "DELETE FROM attempt WHERE scope = 'account' AND key = ?").execute(arguments: [charge.account])
            try refund(.address, key: charge.address, lockedUntil: charge.addressLockedUntil, in: db)
        }
    }

    private static func refund(_ scope: AttemptRecord.Scope, key: String, lockedUntil: Date?, in db: Database) throws {
        let values = AttemptChargeStatement.refundValues(scope: scope, key: key, lockedUntil: lockedUntil)
        try db.cachedStatement(sql: refundSQL).execute(arguments: arguments(values))
    }

    public func clearFailures(scope: AttemptRecord.Scope, key: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM attempt WHERE scope = ? AND key = ?", arguments: [scope.rawValue, key])
        }
    }
}

/// Thrown inside the charging transaction to roll back the account's charge when the address
/// must wait; never leaves the store.
struct AttemptChargeRefused: Error {}
