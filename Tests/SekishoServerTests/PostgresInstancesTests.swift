import Foundation
import PostgresTesting
import SMTPTesting
import SekishoStore
import TestSupport
import Testing

/// Issue 9: every rule holds across two Sekisho processes sharing one PostgreSQL database.
@Suite(.serialized) struct PostgresInstancesTests {
    @Test func aCodeAcceptedOnOneIsRefusedOnTheOtherAndTheSessionIsShared() async throws {
        try await PostgresInstances.with(users: ["alice"]) { instances in
            var enrolling = RawHTTPClient()
            let key = try await instances.signInAndEnroll("alice", at: instances.a, &enrolling)

            // The session made on a is valid on b: the dashboard, and forward auth for a proxy.
            var dashboard = try await enrolling.send(port: instances.b.port, "GET", "/", host: instances.publicHost)
            #expect(dashboard.status == 200)
            #expect(dashboard.body.contains("alice"))
            let check = try await enrolling.send(port: instances.b.port, "GET", "/api/authz/forward-auth", host: instances.publicHost)
            #expect(check.status == 200)
            #expect(check.header("Remote-User") == "alice")

            // Two sign-ins waiting for a code, one on each instance; one code (next step: the enrollment's is spent).
            var first = RawHTTPClient()
            var second = RawHTTPClient()
            let onB = try await instances.enterPassword("alice", at: instances.b, &first)
            let onA = try await instances.enterPassword("alice", at: instances.a, &second)
            #expect(onB.header("Location") == "/login/verify")
            #expect(onA.header("Location") == "/login/verify")
            let (_, csrfB) = try await instances.page("/login/verify", at: instances.b, &first)
            let (_, csrfA) = try await instances.page("/login/verify", at: instances.a, &second)
            let code = try await PostgresInstances.code(for: key, stepOffset: 1)

            let accepted = try await instances.post("/login/verify", [("code", code)], csrf: csrfB, at: instances.b, &first)
            #expect(accepted.status == 303 && accepted.header("Location") == "/", "\(accepted.status)\n\(instances.logs)")
            let replayed = try await instances.post("/login/verify", [("code", code)], csrf: csrfA, at: instances.a, &second)
            #expect(replayed.header("Location") == nil, "the code was accepted twice")
            #expect(Browser.firstMatch(#"class="error"[^>]*>([^<]*)<"#, in: replayed.body) != nil)
            // Still half-way: the dashboard sends it back to the sign-in.
            dashboard = try await second.send(port: instances.a.port, "GET", "/", host: instances.publicHost)
            #expect(dashboard.status == 303, "the replayed code signed in")
        }
    }

    @Test func failuresOnBothInstancesCountTowardOneLockout() async throws {
        // Three free attempts per account: the third failure starts the wait, and the fourth guess
        // (the second on b) is refused without being checked.
        try await PostgresInstances.with(users: ["bob"], settings: ["lockout.free_failures=3", "lockout.base_delay=600"]) { instances in
            var browser = RawHTTPClient()
            var failureText: String?
            for instance in [instances.a, instances.b, instances.a, instances.b] {
                let failed = try await instances.enterPassword("bob", password: "wrong", at: instance, &browser)
                #expect(failed.header("Location") == nil)
                failureText = Browser.firstMatch(#"class="error"[^>]*>([^<]*)<"#, in: failed.body)
                #expect(failureText != nil)
            }
            for instance in [instances.a, instances.b] {
                let refused = try await instances.enterPassword("bob", at: instance, &browser)
                #expect(refused.header("Location") == nil, "instance \(instance.name) let a locked account in")
                #expect(Browser.firstMatch(#"class="error"[^>]*>([^<]*)<"#, in: refused.body) == failureText)
            }
            let attempt = try await instances.withStore { try await $0.attempt(scope: .account, key: "bob") }
            #expect(attempt?.failures == 3)
            #expect(attempt?.lockedUntil != nil)
        }
    }

    /// 50 wrong passwords at the same moment, half to each process: only the 5 free attempts
    /// are checked (Argon2id), the rest are refused unchecked, and then the right password waits.
    @Test func aBurstOfWrongPasswordsOnBothInstancesChecksOnlyTheFreeAttempts() async throws {
        try await PostgresInstances.with(users: ["bob"]) { instances in
            // Every guesser has its login page (cookie and CSRF token) before the burst starts.
            var guessers: [(browser: RawHTTPClient, csrf: String, instance: PostgresInstances.Instance)] = []
            for index in 0..<50 {
                var browser = RawHTTPClient()
                let instance = index.isMultiple(of: 2) ? instances.a : instances.b
                let (_, csrf) = try await instances.page("/login", at: instance, &browser)
                guessers.append((browser, csrf, instance))
            }
            let prepared = guessers
            let answers = await RawHTTPClient.concurrently(prepared.count) { index in
                var (browser, csrf, instance) = prepared[index]
                return try browser.sendBlocking(
                    port: instance.port,
                    "POST",
                    "/login",
                    host: instances.publicHost,
                    headers: instances.origin,
                    form: [("username", "bob"), ("password", "wrong"), ("csrf", csrf)]
                )
            }
            for answer in answers {
                let response = try answer.get()
                #expect(response.status == 200 && response.header("Location") == nil)
            }
            let failures = try await instances.withStore { try await $0.auditEvents(userID: nil, kind: "sign_in_failed", limit: 200, offset: 0) }
            #expect(failures.filter { $0.detail == "password" }.count == 5, "\(failures.map(\.detail))")
            #expect(failures.count == 50)
            var owner = RawHTTPClient()
            #expect(try await instances.enterPassword("bob", at: instances.a, &owner).header("Location") == nil)
            #expect(try await instances.withStore { try await $0.attempt(scope: .account, key: "bob")?.failures } == 5)
        }
    }

    @Test func eachOf200QueuedMailsIsDeliveredOnceWithBothWorkersRunning() async throws {
        try await SMTPTestServer.with { smtp in
            try await PostgresInstances.with(users: [], settings: Self.smtpSettings(smtp)) { instances in

                try await instances.withStore { store in
                    for number in 1...200 {
                        let mail = NewOutboxMail(recipient: "user\(number)@example.com", subject: "Mail \(number)", textBody: "number \(number)")
                        _ = try await store.enqueueMail(mail, at: Date())
                    }
                }
                // Readiness polling: both workers wake every 2 s and take 20 mails a batch.
                let deadline = ContinuousClock.now + .seconds(90)
                var received: [ReceivedMail] = []
                while ContinuousClock.now < deadline {
                    received = try smtp.messages()
                    if received.count >= 200 { break }
                    try await Task.sleep(for: .milliseconds(100))
                }
                let unsent = try await instances.withStore { store in try await store.outboxMails(limit: 500).filter { $0.sentAt == nil }.count }
                #expect(unsent == 0)
                #expect(received.count == 200, "\(received.count) delivered\n\(instances.logs)")
                let subjects = Set(received.compactMap(\.subject))
                #expect(subjects == Set((1...200).map { "Mail \($0)" }))
                let messageIDs = Set(received.compactMap(\.messageId))
                #expect(messageIDs.count == 200)
            }
        }
    }

    @Test func aResetLinkMadeOnOneWorksOnTheOtherOnce() async throws {
        try await SMTPTestServer.with { smtp in
            try await PostgresInstances.with(users: ["alice"], settings: Self.smtpSettings(smtp)) { instances in
                var phoneLost = RawHTTPClient()
                _ = try await instances.signInAndEnroll("alice", at: instances.a, &phoneLost)
                phoneLost.cookies = [:]

                // On a: password, then "I lost my phone" on the code page.
                _ = try await instances.enterPassword("alice", at: instances.a, &phoneLost)
                let (_, csrf) = try await instances.page("/login/verify", at: instances.a, &phoneLost)
                let requested = try await instances.post("/login/reset", [], csrf: csrf, at: instances.a, &phoneLost)
                #expect(requested.status == 200)

                let deadline = ContinuousClock.now + .seconds(60)
                var link: String?
                while ContinuousClock.now < deadline, link == nil {
                    link = try smtp.messages().compactMap(\.text).compactMap {
                        Browser.firstMatch(#"http://[^/\s]+(/reset/[A-Za-z0-9_-]{43})"#, in: $0)
                    }
                    .first
                    if link == nil { try await Task.sleep(for: .milliseconds(100)) }
                }
                let path = try #require(link, "no reset mail\n\(instances.logs)")

                // The link works on b, once; a refuses it afterwards.
                var clicker = RawHTTPClient()
                let (_, clickCSRF) = try await instances.page(path, at: instances.b, &clicker)
                let used = try await instances.post(path, [], csrf: clickCSRF, at: instances.b, &clicker)
                #expect(used.status == 303 && used.header("Location") == "/login?reset=1", "\(used.status)\n\(instances.logs)")
                let (_, againCSRF) = try await instances.page("/login", at: instances.a, &clicker)
                let again = try await instances.post(path, [], csrf: againCSRF, at: instances.a, &clicker)
                #expect(again.status == 404)
                let binding = try await instances.withStore { store in
                    try await store.binding(userID: try #require(try await store.user(username: "alice")).id)
                }
                #expect(binding == nil)
            }
        }
    }

    static func smtpSettings(_ smtp: SMTPTestServer) -> [String] {
        ["mail.transport=smtp", "mail.smtp.host=127.0.0.1", "mail.smtp.port=\(smtp.port)", "mail.smtp.security=none"]
    }

    /// `sekisho migrate-to-postgres`: an installation made on SQLite signs in on PostgreSQL
    /// instances that use its key, and a second copy into the same database is refused.
    @Test func anSQLiteInstallationMovedByMigrateToPostgresServesBothInstances() async throws {
        let sekisho = try NginxForwardAuthTests.sekishoBinary()
        try await ScratchDirectory.with("migrate") { scratch in
            let directory = scratch.path
            let key = PostgresInstances.newKey()
            let created = try await Command(
                sekisho,
                [
                    "user", "add", "carol", "--email", "carol@example.com", "--two-factor", "--data-dir", directory + "/data",
                    "--set", "keys.master_key=\(key)", "--set", "server.public_directory=\(repositoryRoot())/Public",
                ],
                input: PostgresInstances.password + "\n",
                directory: directory
            ).run()
            #expect(created.status == 0, "\(created.error)")

            let url = try await PostgresTestServer.shared.makeDatabaseURL()
            let copy = ["migrate-to-postgres", "--from", directory + "/data/sekisho.sqlite", "--to", url]
            let migrated = try await Command(sekisho, copy, directory: directory).run()
            #expect(migrated.status == 0, "\(migrated.error)")
            #expect(migrated.output.contains("user: 1 → 1"))
            #expect(migrated.output.contains("counts verified"))
            let again = try await Command(sekisho, copy, directory: directory).run()
            #expect(again.status == 1)
            #expect(again.error.contains("not empty"), "\(again.error)")

            try await PostgresInstances.with(users: [], databaseURL: url, masterKey: key) { instances in
                var browser = RawHTTPClient()
                _ = try await instances.signInAndEnroll("carol", at: instances.b, &browser)
                let dashboard = try await browser.send(port: instances.a.port, "GET", "/", host: instances.publicHost)
                #expect(dashboard.status == 200 && dashboard.body.contains("carol"))
            }
        }
    }

    /// A wrong password, a missing database or no server at all stop start-up with exit status 1
    /// and a message saying which, without the password.
    @Test func aDatabaseThatCannotBeUsedStopsStartUpWithTheReason() async throws {
        let sekisho = try NginxForwardAuthTests.sekishoBinary()
        let port = try await PostgresTestServer.shared.port()
        let user = PostgresTestServer.username
        // Held by us, not listening: nothing answers there.
        try await FreePort.withUnused { unreachablePort in
            let cases = [
                ("postgres://\(user):not-the-password@127.0.0.1:\(port)/postgres", "refused user \(user)"),
                ("postgres://\(user):\(PostgresTestServer.encodedPassword)@127.0.0.1:\(port)/no_such_database", "create the database first"),
                ("postgres://\(user):not-the-password@127.0.0.1:\(unreachablePort)/postgres", "cannot reach"),
            ]
            // For `serve`, which stops before it would bind the port.
            try await FreePort.withUnused { servePort in
                try await ScratchDirectory.with("pg-refused") { scratch in
                    let directory = scratch.path
                    for (url, reason) in cases {
                        let started = try await Command(
                            sekisho,
                            [
                                "serve", "--data-dir", directory + "/data", "--port", "\(servePort)", "--set", "database.url=\(url)",
                                "--set", "clock.check=false", "--set", "server.public_directory=\(repositoryRoot())/Public",
                            ],
                            directory: directory
                        ).run()
                        #expect(started.status == 1, "\(url): \(started.error)")
                        #expect(started.error.contains(reason), "\(url): \(started.error)")
                        #expect(!started.error.contains("not-the-password"), "the password was printed")
                    }
                }
            }
        }
    }
}
