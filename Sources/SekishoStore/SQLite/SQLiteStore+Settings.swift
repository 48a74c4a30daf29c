import Foundation
import GRDB

extension SQLiteStore: SettingStore {
    public func setting(_ key: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT value FROM setting WHERE key = ?", arguments: [key]) }
    }

    public func setSetting(_ key: String, value: String?, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            if let value {
                try db.execute(
                    sql: """
                        INSERT INTO setting (key, value, updated_at) VALUES (?, ?, ?)
                        ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                        """,
                    arguments: [key, value, now.timeIntervalSince1970]
                )
            } else {
                try db.execute(sql: "DELETE FROM setting WHERE key = ?", arguments: [key])
            }
            try Self.apply(effects, in: db, at: now)
        }
    }
}
