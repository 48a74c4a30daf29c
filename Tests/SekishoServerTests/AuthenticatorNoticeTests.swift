import Foundation
import HummingbirdTesting
import SekishoStore
import Testing

/// A security notice when an authenticator is added (issue #16 item 2, #15 item 6): queued in the
/// transaction that binds it, in both languages.
@Suite struct AuthenticatorNoticeTests {
    @Test func enrollingAnAuthenticatorAppQueuesANotice() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                _ = try await environment.signInAndEnroll(&browser)
                let mails = try await environment.store.outboxMails(limit: 10)
                let notice = try #require(mails.first { $0.subject.contains("An authenticator was added to your account") })
                #expect(notice.recipient == "alice@example.com")
                #expect(notice.textBody.contains("(TOTP)") && notice.textBody.contains("アカウント alice に認証手段"))
            }
        }
    }
}
