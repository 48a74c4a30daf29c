import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoServer
import Testing

@Suite struct LockoutTests {
    @Test func accountWaitsAfterTheFreeFailuresAndIsReleasedAfterTheWait() async throws {
        try await TestEnvironment.with(overrides: ["lockout.free_failures": "3", "lockout.base_delay": "60"]) { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                for _ in 0..<4 {
                    try await browser.post("/login", [("username", "bob"), ("password", "wrong")])
                    #expect(browser.errorMessage != nil)
                }
                let failureText = browser.errorMessage
                // Locked: the right password is refused with the very same message.
                #expect(try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")]).headers[.location] == nil)
                #expect(browser.errorMessage == failureText)

                environment.clock.advance(by: 61)
                #expect(try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")]).headers[.location] == "/")
            }
        }
    }

    @Test func wrongCodesLockTheAccountToo() async throws {
        try await TestEnvironment.with(overrides: ["lockout.free_failures": "2", "lockout.base_delay": "120"]) { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.signInAndEnroll(&browser)
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                for _ in 0..<3 { try await browser.post("/login/verify", [("code", "000000")]) }
                // Even the right code waits now.
                try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 1))])
                #expect(browser.errorMessage?.contains("Wait") == true)
                environment.clock.advance(by: 121)
                try await environment.signInToCodePage(&browser)
                #expect(try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 1))]).headers[.location] == "/")
            }
        }
    }

    /// No user enumeration: an unknown user costs exactly the Argon2id work of a known one.
    @Test func unknownUserCostsTheSameHashingAsAWrongPassword() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let before = environment.hasher.verifications
                try await browser.post("/login", [("username", "bob"), ("password", "wrong")])
                let known = browser.errorMessage
                let afterKnown = environment.hasher.verifications
                try await browser.post("/login", [("username", "nobody"), ("password", "wrong")])
                let afterUnknown = environment.hasher.verifications
                #expect(afterKnown - before == 1)
                #expect(afterUnknown - afterKnown == 1)
                #expect(browser.errorMessage == known)
            }
        }
    }

    @Test func failuresFromOneAddressAcrossAccountsMakeTheAddressWait() async throws {
        try await TestEnvironment.with(overrides: ["lockout.address_free_failures": "3", "lockout.free_failures": "50"]) { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                for name in ["a1", "a2", "a3", "a4"] {
                    try await browser.post("/login", [("username", name), ("password", "wrong")])
                }
                #expect(try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")]).headers[.location] == nil)
            }
        }
    }
}
