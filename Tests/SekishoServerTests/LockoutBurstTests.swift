import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoServer
import SekishoStore
import Testing

/// Guesses sent at the same moment: each is charged before it is checked, so no more of them
/// are checked than one after another would be (`lockout.free_failures`, 5 by default).
@Suite struct LockoutBurstTests {
    static let burst = 50

    @Test func ofFiftyWrongCodesAtOnceOnlyTheFreeAttemptsAreChecked() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                let key = try await environment.enrollThenReturnToCodePage(&browser)
                let start = browser
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for _ in 0..<Self.burst {
                        group.addTask {
                            var guesser = start
                            return try await guesser.post("/login/verify", [("code", "000000")]).status
                        }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                #expect(statuses.allSatisfy { $0 == .ok }, "every guess gets the code page again")
                let checked = try await environment.store.auditEvents(userID: nil, kind: "code_failed", limit: 100, offset: 0)
                #expect(checked.count == 5)
                #expect(try await environment.store.attempt(scope: .account, key: "alice")?.failures == 5)
                #expect(try await environment.store.auditEvents(userID: nil, kind: "lockout", limit: 100, offset: 0).count == 1)
                // The right code after the burst waits like any other guess.
                var last = start
                let right = try await last.post("/login/verify", [("code", try environment.code(for: key))])
                #expect(right.headers[.location] == nil)
                #expect(last.errorMessage?.contains("Wait") == true)
            }
        }
    }

    /// The right password sent while the free guesses are still being checked is refused: their
    /// charges already made the account wait. On code that counted a failure only after checking,
    /// the right password got in.
    @Test func theRightPasswordSentWhileTheFreeGuessesAreInFlightIsRefusedUnchecked() async throws {
        try await TestEnvironment.with { environment in
            try await environment.createUser("bob", twoFactor: false)
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let start = browser
                let gate = environment.hasher.gate
                gate.hold("wrong")
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for _ in 0..<Self.burst {
                        group.addTask {
                            var guesser = start
                            try await guesser.post("/login", [("username", "bob"), ("password", "wrong")])
                        }
                    }
                    // The five free guesses are charged and held in the middle of their check.
                    try await Self.waitUntil { gate.waiting >= 5 }
                    var owner = start
                    let right = try await owner.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                    #expect(right.headers[.location] == nil, "the right password was checked during the burst")
                    gate.release()
                    try await group.waitForAll()
                }
                #expect(gate.waiting == 0)
                #expect(environment.hasher.verifications == 5)
                let failures = try await environment.store.auditEvents(userID: nil, kind: "sign_in_failed", limit: 100, offset: 0)
                #expect(failures.filter { $0.detail == "password" }.count == 5)
                #expect(failures.filter { $0.detail == "locked" }.count == Self.burst + 1 - 5)
            }
        }
    }

    /// A right password is not a failure: its charge is taken back, and the account can go on.
    @Test func aRightPasswordTakesItsChargeBack() async throws {
        try await TestEnvironment.with(overrides: ["lockout.free_failures": "3"]) { environment in
            try await environment.createUser("bob")
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                for _ in 0..<2 { try await browser.post("/login", [("username", "bob"), ("password", "wrong")]) }
                // The third attempt would start the wait if it were a failure.
                let right = try await browser.post("/login", [("username", "bob"), ("password", "correct horse battery")])
                #expect(right.headers[.location] == "/login/enroll")
                let record = try #require(try await environment.store.attempt(scope: .account, key: "bob"))
                #expect(record.failures == 2)
                #expect(record.lockedUntil == nil)
                // Router tests have no TCP peer: the client address is "unknown".
                #expect(try await environment.store.attempt(scope: .address, key: "unknown")?.failures == 2)
            }
        }
    }

    /// Right codes are not guesses in flight: a crowd behind one address (an office's NAT) that
    /// submits its codes at the same moment all signs in, even with more people than the address's
    /// free failures. When every code was charged to the address before its check, more than 20
    /// charges in flight at once made the address wait and refused the rest.
    @Test func aCrowdOfRightCodesFromOneAddressAllSignIn() async throws {
        try await TestEnvironment.with(overrides: ["lockout.address_free_failures": "3"]) { environment in
            try await environment.application().test(.router) { client in
                var crowd: [(browser: Browser, key: String)] = []
                for index in 0..<12 {
                    let name = "user\(index)"
                    try await environment.createUser(name)
                    var browser = Browser(client)
                    let key = try await environment.enrollThenReturnToCodePage(&browser, user: name)
                    crowd.append((browser, key))
                }
                let locations = try await withThrowingTaskGroup(of: String?.self) { group in
                    for (browser, key) in crowd {
                        // Enrolling spent this step's code; the next one is inside the window.
                        let code = try environment.code(for: key, stepOffset: 1)
                        group.addTask {
                            var person = browser
                            return try await person.post("/login/verify", [("code", code)]).headers[.location]
                        }
                    }
                    return try await group.reduce(into: [String?]()) { $0.append($1) }
                }
                #expect(locations == Array(repeating: "/", count: crowd.count))
                #expect(try await environment.store.attempt(scope: .address, key: "unknown")?.failures ?? 0 == 0)
            }
        }
    }

    /// Polls `condition` until it holds; the 10-second limit only turns a hang into a failure.
    static func waitUntil(_ condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw BrowserError("condition not met within 10 s") }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}
