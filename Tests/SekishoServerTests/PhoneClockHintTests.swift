import Foundation
import HTTPTypes
import HummingbirdTesting
import SekishoServer
import SekishoStore
import Testing

/// A right code from a phone whose clock is off (issue #16): the answer stays a refusal and counts
/// as a failure, but the page says how far the phone's clock seems to be off and how to fix it.
@Suite struct PhoneClockHintTests {
    @Test func aCodeNinetySecondsOldIsRefusedWithTheHint() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.enrollThenReturnToCodePage(&browser)
                let old = try environment.code(for: key, stepOffset: -3)
                let answer = try await browser.post("/login/verify", [("code", old)])
                #expect(answer.headers[.location] == nil, "a code outside the window is never accepted")
                #expect(browser.lastPage.contains(#"id="clock-hint""#))
                #expect(browser.lastPage.contains("90 seconds slow"))
                #expect(try await environment.store.attempt(scope: .account, key: "alice")?.failures == 1)

                // The same in Japanese, for a phone two steps ahead.
                let ahead = try environment.code(for: key, stepOffset: 2)
                try await browser.post("/login/verify", [("code", ahead)], headers: [.acceptLanguage: "ja"])
                #expect(browser.lastPage.contains("約60秒進んでいる"))
                #expect(try await environment.store.attempt(scope: .account, key: "alice")?.failures == 2)

                // A wrong code that matches no step near now gets no hint; the right one still works.
                try await browser.post("/login/verify", [("code", Self.codeMatchingNoStep(key: key, environment: environment))])
                #expect(!browser.lastPage.contains(#"id="clock-hint""#))
                let right = try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 1))])
                #expect(right.headers[.location] == "/")
            }
        }
    }

    /// A code that no step within the hint's reach (±20 steps) shows.
    static func codeMatchingNoStep(key: String, environment: TestEnvironment) throws -> String {
        let near = try Set((-21...21).map { try environment.code(for: key, stepOffset: $0) })
        return (0..<1_000_000).lazy.map { String(format: "%06d", $0) }.first { !near.contains($0) }!
    }
}

/// Each binding learns its phone's drift from accepted codes and centres its window there
/// (RFC 6238 §6), bounded so that the server's own step stays inside and the window as wide.
@Suite struct LearnedDriftTests {
    @Test func aPhoneSteadilyOneStepSlowKeepsSigningInWithTheWindowStillThreeStepsWide() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.enrollThenReturnToCodePage(&browser)
                // Enrolled with the current step's code; a minute later this phone shows one step behind.
                environment.clock.advance(by: 60)
                let slow = try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: -1))])
                #expect(slow.headers[.location] == "/")
                #expect(try await environment.store.binding(userID: alice.id)?.driftSteps == -1)

                // Next time its code arrives a step later still: two steps behind the server,
                // outside a window centred on now (±1), inside the one centred on the drift.
                environment.clock.advance(by: 120)
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                let late = try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: -2))])
                #expect(late.headers[.location] == "/", "a code two steps behind is accepted once the drift is learned")
                #expect(try await environment.store.binding(userID: alice.id)?.driftSteps == -1, "the drift never leaves ±window")

                // Still three steps wide: a step ahead of the server is outside [-2, 0] and refused.
                environment.clock.advance(by: 120)
                try await browser.signOut()
                try await environment.signInToCodePage(&browser)
                let ahead = try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 1))])
                #expect(ahead.headers[.location] == nil)
                #expect(browser.lastPage.contains(#"id="clock-hint""#) && browser.lastPage.contains("30 seconds fast"))
                // The phone's clock set right again: the server's own step is always in the window.
                let corrected = try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: 0))])
                #expect(corrected.headers[.location] == "/")
                #expect(try await environment.store.binding(userID: alice.id)?.driftSteps == 0)
            }
        }
    }

    @Test func withoutALearnedDriftTwoStepsBehindIsRefused() async throws {
        try await TestEnvironment.with { environment in
            let alice = try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.enrollThenReturnToCodePage(&browser)
                #expect(try await environment.store.binding(userID: alice.id)?.driftSteps == 0)
                environment.clock.advance(by: 120)
                let late = try await browser.post("/login/verify", [("code", try environment.code(for: key, stepOffset: -2))])
                #expect(late.headers[.location] == nil)
            }
        }
    }
}
