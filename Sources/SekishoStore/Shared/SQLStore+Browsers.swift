import Foundation

extension SQLStore: BrowserStore {
    public func recordKnownBrowser(userID: Int64, browserHash: String, at now: Date, effectsIfNew: SideEffects) async throws -> Bool {
        try await write { db in
            // The primary key decides between concurrent sign-ins from one browser: one inserts.
            let inserted = try db.execute(
                """
                INSERT INTO known_browser (user_id, browser_hash, first_seen_at) VALUES (\(userID), \(browserHash), \(now))
                ON CONFLICT (user_id, browser_hash) DO NOTHING
                """
            )
            guard inserted > 0 else { return false }
            // The account's first browser (its first sign-in ever) is new to nobody.
            let others = try db.rows(
                "SELECT 1 AS one FROM known_browser WHERE user_id = \(userID) AND browser_hash <> \(browserHash) LIMIT 1"
            )
            guard !others.isEmpty else { return false }
            try Self.apply(effectsIfNew, in: db, at: now)
            return true
        }
    }

    public func rememberBrowser(_ browser: RememberedBrowser, effects: SideEffects) async throws {
        try await write { db in
            try db.execute(
                """
                INSERT INTO remembered_browser (token_hash, user_id, user_agent, client_address, created_at, expires_at)
                VALUES (\(browser.tokenHash), \(browser.userID), \(browser.userAgent), \(browser.clientAddress), \(browser.createdAt),
                        \(browser.expiresAt))
                """
            )
            try Self.apply(effects, in: db, at: browser.createdAt)
        }
    }

    public func useRememberedBrowser(
        tokenHash: String,
        userID: Int64,
        at now: Date,
        startingSession: SessionStart,
        effects: SideEffects
    ) async throws -> Bool {
        try await write { db in
            // Checked and used by one conditional statement: a browser forgotten or expired a moment
            // ago is refused, and the session begins only in the transaction that used it.
            let used = try db.execute(
                """
                UPDATE remembered_browser SET last_used_at = \(now)
                WHERE token_hash = \(tokenHash) AND user_id = \(userID) AND expires_at > \(now)
                """
            )
            guard used == 1 else { return false }
            try Self.begin(startingSession, in: db)
            try Self.apply(effects, in: db, at: now)
            return true
        }
    }

    public func rememberedBrowsers(userID: Int64, at now: Date) async throws -> [RememberedBrowser] {
        try await read(
            "SELECT * FROM remembered_browser WHERE user_id = \(userID) AND expires_at > \(now) ORDER BY created_at DESC, token_hash",
            RememberedBrowser.init(row:)
        )
    }

    public func forgetRememberedBrowser(userID: Int64, handle: String, at now: Date, effects: SideEffects) async throws -> Bool {
        try await deleteRow(of: userID, in: "remembered_browser", hashColumn: "token_hash", handle: handle, at: now, effects: effects)
    }

    public func forgetRememberedBrowsers(userID: Int64, at now: Date, effects: SideEffects) async throws -> Int {
        try await write { db in
            let forgotten = try Self.forgetRememberedBrowsers(userID: userID, in: db)
            try Self.apply(effects, in: db, at: now)
            return forgotten
        }
    }

    /// Inside the transaction of a change that voids them: a new password, an authenticator
    /// removed, two-factor turned off.
    @discardableResult
    static func forgetRememberedBrowsers(userID: Int64, in db: any SQLConnection) throws -> Int {
        try db.execute("DELETE FROM remembered_browser WHERE user_id = \(userID)")
    }
}
