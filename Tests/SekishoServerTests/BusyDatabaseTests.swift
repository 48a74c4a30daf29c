import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SekishoServer
import Testing

@Suite struct BusyDatabaseTests {
    static let busyTimeout = 0.3

    /// With another process holding the write lock, concurrent sign-ins each get their 503 after
    /// about one busy timeout, instead of waiting in turn behind each other's timeouts.
    @Test func concurrentWritesEachWaitAtMostTheBusyTimeout() async throws {
        try await TestEnvironment.with(overrides: ["database.busy_timeout": "\(Self.busyTimeout)"]) { environment in
            try await environment.createUser()
            let requests = 16
            try await environment.application().test(.router) { client in
                var browsers: [Browser] = []
                for _ in 0..<requests {
                    var browser = Browser(client)
                    try await browser.get("/login")
                    browsers.append(browser)
                }
                let lock = try SQLiteWriteLock(path: environment.dependencies.configuration.databasePath)
                defer { lock.release() }
                let answers = try await withThrowingTaskGroup(of: (status: Int, retryAfter: String?, seconds: Double).self) { group in
                    for signedOut in browsers {
                        group.addTask {
                            var browser = signedOut
                            let start = ContinuousClock.now
                            let response = try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")])
                            let took = ContinuousClock.now - start
                            return (
                                response.status.code, response.headers[.retryAfter],
                                Double(took.components.seconds) + Double(took.components.attoseconds) / 1e18
                            )
                        }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                #expect(answers.count == requests)
                #expect(answers.allSatisfy { $0.status == 503 && $0.retryAfter != nil }, "\(answers)")
                // In turn the last would wait `requests` timeouts (4.8 s); half of that is a ceiling
                // a loaded machine does not reach by itself, while each waits about one timeout.
                let slowest = answers.map(\.seconds).max() ?? 0
                #expect(slowest < Double(requests / 2) * Self.busyTimeout, "slowest answer after \(slowest) s")
            }
        }
    }

    /// `/readyz` says not ready while writes fail, although reads still work, and ready again as
    /// soon as a write succeeds.
    @Test func readinessFollowsTheLatestWrites() async throws {
        try await TestEnvironment.with(overrides: ["database.busy_timeout": "\(Self.busyTimeout)"]) { environment in
            try await environment.createUser()
            try await environment.application().test(.router) { client in
                var browser = Browser(client)
                try await browser.get("/login")
                let lock = try SQLiteWriteLock(path: environment.dependencies.configuration.databasePath)
                defer { lock.release() }
                // Locked, but nothing has tried to write yet: reads work.
                #expect(try await client.executeRequest(uri: "/readyz", method: .get, headers: [:], body: nil).status == .ok)
                #expect(
                    try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")]).status == .serviceUnavailable
                )
                let notReady = try await client.executeRequest(uri: "/readyz", method: .get, headers: [:], body: nil)
                #expect(notReady.status == .serviceUnavailable)
                #expect(notReady.headers[.retryAfter] != nil)
                // Still locked: the readiness probe's own write fails too.
                #expect(try await client.executeRequest(uri: "/readyz", method: .get, headers: [:], body: nil).status == .serviceUnavailable)
                lock.release()
                #expect(try await client.executeRequest(uri: "/readyz", method: .get, headers: [:], body: nil).status == .ok)
                #expect(
                    try await browser.post("/login", [("username", "alice"), ("password", "correct horse battery")]).status != .serviceUnavailable
                )
                #expect(try await client.executeRequest(uri: "/readyz", method: .get, headers: [:], body: nil).status == .ok)
            }
        }
    }
}
