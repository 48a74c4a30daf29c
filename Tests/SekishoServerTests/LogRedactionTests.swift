import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import SekishoServer
import SekishoStore
import Testing

@Suite struct LogRedactionTests {
    /// A reset or setup link in a log works for whoever reads the log: at every level, the token
    /// of a link that is opened, posted to or refused never reaches a log line.
    @Test func tokensOfResetAndSetupLinksNeverReachTheLog() async throws {
        try await TestEnvironment.with { environment in
            let capture = LogCapture()
            // No users yet: start-up makes a setup link, whose token the test learns from the page.
            try await environment.application(logger: capture.logger(level: .trace)).test(.router) { client in
                let resetToken = "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCdE"
                let setupToken = "ZyXwVuTsRqPoNmLkJiHgFeDcBa9876543210-_ZyXwV"
                var browser = Browser(client)
                try await browser.get("/reset/\(resetToken)")
                try await browser.get("/reset/\(resetToken)?lang=ja")
                try await browser.post("/reset/\(resetToken)", [])
                try await browser.get("/setup/\(setupToken)")
                try await browser.post("/setup/\(setupToken)", [("username", "root")])
                // Without the CSRF cookie the POST is refused, and the refusal is logged too.
                var stranger = Browser(client)
                _ = try await stranger.post("/reset/\(resetToken)", [])
                for token in [resetToken, setupToken] {
                    #expect(!capture.text.contains(token), "\(capture.text)")
                }
                #expect(capture.text.contains("hb.request.path=/reset/…"))
                #expect(capture.text.contains("hb.request.path=/reset/…?lang=ja"))
                #expect(capture.text.contains("hb.request.path=/setup/…"))
            }
        }
    }
}
