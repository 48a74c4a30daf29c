import Foundation

// Each model read from its row in one place, for both engines. Column names and types are those
// of SchemaMigrations; a value that is not one of an enumeration's cases throws instead of being
// guessed. Decoded column by column: Codable decoding of the same rows cost 8 % of a code check.

extension User {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"),
            username: try row.string("username"),
            displayName: try row.string("display_name"),
            email: try row.string("email"),
            role: try row.enumeration("role"),
            passwordHash: try row.string("password_hash"),
            twoFactorEnabled: try row.bool("two_factor_enabled"),
            createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"),
            lastSignInAt: try row.optionalDate("last_sign_in_at")
        )
    }

    /// The columns of `"user"` under `alias`, renamed with `prefix`: for joins that read a user
    /// beside another table's `*`.
    static func columns(of alias: String, prefix: String) -> String {
        [
            "id", "username", "display_name", "email", "role", "password_hash", "two_factor_enabled", "created_at", "updated_at",
            "last_sign_in_at",
        ].map { "\(alias).\($0) AS \(prefix)\($0)" }.joined(separator: ", ")
    }
}

extension SessionRecord {
    init(row: any SQLRow) throws {
        self.init(
            idHash: try row.string("id_hash"),
            userID: try row.int64("user_id"),
            state: try row.enumeration("state"),
            createdAt: try row.date("created_at"),
            lastSeenAt: try row.date("last_seen_at"),
            expiresAt: try row.date("expires_at"),
            authenticatedAt: try row.date("authenticated_at"),
            clientAddress: try row.string("client_address"),
            userAgent: try row.string("user_agent"),
            methods: try row.string("amr").split(separator: " ").map(String.init)
        )
    }
}

extension TOTPBinding {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.string("id"),
            userID: try row.int64("user_id"),
            name: try row.string("name"),
            sealedSecret: try row.data("sealed_secret"),
            algorithm: try row.string("algorithm"),
            digits: try row.int("digits"),
            period: try row.int("period"),
            lastStep: try row.int64("last_step"),
            confirmedAt: try row.date("confirmed_at"),
            driftSteps: try row.int("drift_steps"),
            lastUsedAt: try row.optionalDate("last_used_at")
        )
    }
}

extension Passkey {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"),
            userID: try row.int64("user_id"),
            credentialID: try row.data("credential_id"),
            publicKey: try row.data("public_key"),
            algorithm: try row.int("algorithm"),
            signCount: try row.int64("sign_count"),
            name: try row.string("name"),
            createdAt: try row.date("created_at"),
            lastUsedAt: try row.optionalDate("last_used_at"),
            counterRegressions: try row.int("counter_regressions")
        )
    }
}

extension PendingEnrollment {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.string("id"),
            userID: try row.int64("user_id"),
            sessionIDHash: try row.string("session_id_hash"),
            sealedSecret: try row.data("sealed_secret"),
            algorithm: try row.string("algorithm"),
            digits: try row.int("digits"),
            period: try row.int("period"),
            createdAt: try row.date("created_at"),
            expiresAt: try row.date("expires_at")
        )
    }
}

extension AttemptRecord {
    init(row: any SQLRow) throws {
        self.init(
            scope: try row.enumeration("scope"),
            key: try row.string("key"),
            failures: try row.int("failures"),
            windowStart: try row.date("window_start"),
            lockedUntil: try row.optionalDate("locked_until")
        )
    }
}

extension OutboxMail {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"),
            recipient: try row.string("recipient"),
            subject: try row.string("subject"),
            textBody: try row.string("text_body"),
            htmlBody: try row.optionalString("html_body"),
            sealedBody: try row.optionalData("sealed_body"),
            createdAt: try row.date("created_at"),
            attempts: try row.int("attempts"),
            nextTryAt: try row.date("next_try_at"),
            sentAt: try row.optionalDate("sent_at"),
            failedAt: try row.optionalDate("failed_at"),
            lastError: try row.optionalString("last_error"),
            claimedUntil: try row.optionalDate("claimed_until")
        )
    }
}

extension AuditEvent {
    init(row: any SQLRow) throws {
        self.init(
            id: try row.int64("id"),
            at: try row.date("at"),
            kind: try row.string("kind"),
            actorUserID: try row.optionalInt64("actor_user_id"),
            subjectUserID: try row.optionalInt64("subject_user_id"),
            username: try row.optionalString("username"),
            clientAddress: try row.optionalString("client_address"),
            detail: try row.string("detail")
        )
    }
}

extension RememberedBrowser {
    init(row: any SQLRow) throws {
        self.init(
            tokenHash: try row.string("token_hash"),
            userID: try row.int64("user_id"),
            userAgent: try row.string("user_agent"),
            clientAddress: try row.string("client_address"),
            createdAt: try row.date("created_at"),
            expiresAt: try row.date("expires_at"),
            lastUsedAt: try row.optionalDate("last_used_at")
        )
    }
}
