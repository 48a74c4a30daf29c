import Foundation
import PostgresNIO
import SekishoCore

extension PostgresStore: AttemptStore {
    public func attempt(scope: AttemptRecord.Scope, key: String) async throws -> AttemptRecord? {
        try await query("SELECT * FROM attempt WHERE scope = \(scope.rawValue) AND key = \(key)").first.map(AttemptRecord.init)
    }

    public func chargeAttempt(
        account: String,
        address: String,
        at now: Date,
        accountPolicy: LockoutPolicy,
        addressPolicy: LockoutPolicy
    ) async throws -> AttemptCharge? {
        do {
            // Each upsert locks its row until the commit, so a concurrent charge of the same
            // account waits and then sees this count. The account's row is always taken first,
            // so two charges never wait for each other in a circle. A refused address rolls
            // back the account's charge.
            return try await transaction { connection in
                let accountValues = AttemptChargeStatement.chargeValues(scope: .account, key: account, at: now, policy: accountPolicy)
                guard let accountRow = try await query(Self.statement(Self.chargeSQL, accountValues), on: connection).first else {
                    return nil
                }
                let addressValues = AttemptChargeStatement.chargeValues(scope: .address, key: address, at: now, policy: addressPolicy)
                guard let addressRow = try await query(Self.statement(Self.chargeSQL, addressValues), on: connection).first else {
                    throw AttemptChargeRefused()
                }
                return AttemptCharge(
                    account: account,
                    address: address,
                    accountFailures: try accountRow("failures", as: Int.self),
                    accountLockedUntil: try accountRow.optionalDate("locked_until"),
                    addressLockedUntil: try addressRow.optionalDate("locked_until")
                )
            }
        } catch is AttemptChargeRefused {
            return nil
        }
    }

    func settle(_ settlement: AttemptSettlement, on connection: PostgresConnection) async throws {
        switch settlement {
        case .refund(let charge):
            try await refund(.account, key: charge.account, lockedUntil: charge.accountLockedUntil, on: connection)
            try await refund(.address, key: charge.address, lockedUntil: charge.addressLockedUntil, on: connection)
        case .signedIn(let charge):
            try await query("DELETE FROM attempt WHERE scope = 'account' AND key = \(charge.account)", on: connection)
            try await refund(.address, key: charge.address, lockedUntil: charge.addressLockedUntil, on: connection)
        }
    }

    private func refund(_ scope: AttemptRecord.Scope, key: String, lockedUntil: Date?, on connection: PostgresConnection) async throws {
        let values = AttemptChargeStatement.refundValues(scope: scope, key: key, lockedUntil: lockedUntil)
        try await query(Self.statement(Self.refundSQL, values), on: connection)
    }

    public func clearFailures(scope: AttemptRecord.Scope, key: String) async throws {
        try await query("DELETE FROM attempt WHERE scope = \(scope.rawValue) AND key = \(key)")
    }

    private static let chargeSQL = numbered(AttemptChargeStatement.parameters, AttemptChargeStatement.chargeSQL)
    private static let refundSQL = numbered(AttemptChargeStatement.refundParameters, AttemptChargeStatement.refundSQL)

    /// A shared statement with PostgreSQL's `$n` parameters, numbered in the order of `names`.
    private static func numbered(_ names: [String], _ sql: ((String) -> String) -> String) -> (sql: String, names: [String]) {
        // An unknown name would be a typo in this file: it fails as an SQL syntax error, not a trap.
        (sql { name in names.firstIndex(of: name).map { "$\($0 + 1)" } ?? "<no parameter \(name)>" }, names)
    }

    private static func statement(_ shared: (sql: String, names: [String]), _ values: [String: SQLValue]) -> PostgresQuery {
        var binds = PostgresBindings(capacity: shared.names.count)
        for name in shared.names {
            switch values[name] ?? .null {
            case .text(let text): binds.append(text)
            case .real(let real): binds.append(real)
            case .integer(let integer): binds.append(integer)
            case .null: binds.append(Double?.none)
            }
        }
        return PostgresQuery(unsafeSQL: shared.sql, binds: binds)
    }
}
