import Foundation

extension SQLStore: SettingStore {
    public func setting(_ key: String) async throws -> String? {
        try await readOne("SELECT value FROM setting WHERE key = \(key)") { try $0.string("value") }
    }

    public func setSetting(_ key: String, value: String?, at now: Date, effects: SideEffects) async throws {
        try await write { db in
            if let value {
                try db.execute(
                    """
                    INSERT INTO setting (key, value, updated_at) VALUES (\(key), \(value), \(now))
                    ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                    """
                )
            } else {
                try db.execute("DELETE FROM setting WHERE key = \(key)")
            }
            try Self.apply(effects, in: db, at: now)
        }
    }
}
