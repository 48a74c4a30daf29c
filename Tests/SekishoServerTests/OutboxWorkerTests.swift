import Foundation
import Logging
import SMTPClient
import SekishoStore
import Synchronization
import Testing

@testable import SekishoServer

/// A transport that fails as scripted: for injecting faults, never in place of a real server
/// (the SMTP tests use aiosmtpd).
final class ScriptedTransport: MailTransport {
    private let state: Mutex<(failures: [MailDeliveryFailure], delivered: [MailMessage])>

    init(failures: [MailDeliveryFailure] = []) { state = Mutex((failures, [])) }

    var summary: String { "scripted" }
    var delivered: [MailMessage] { state.withLock { $0.delivered } }

    func deliver(_ message: MailMessage) async throws -> String {
        try state.withLock { state in
            if !state.failures.isEmpty { throw state.failures.removeFirst() }
            state.delivered.append(message)
            return "250 OK"
        }
    }
}

@Suite struct OutboxWorkerTests {
    private func worker(_ environment: TestEnvironment, _ transport: any MailTransport) -> OutboxWorker {
        OutboxWorker(
            store: environment.store,
            clock: environment.clock,
            transport: { transport },
            sender: { try MailAddress(address: "sekisho@example.com", name: "Sekisho") },
            pollInterval: .milliseconds(10),
            metrics: SekishoMetrics(),
            logger: Logger(label: "test"),
            seal: environment.dependencies.outboxSeal
        )
    }

    @Test func transientFailuresAreRetriedWithGrowingWaitsAndDeliveredOnce() async throws {
        try await TestEnvironment.with { environment in
            let id = try await environment.store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "Hello", textBody: "Body"),
                at: environment.clock.now()
            )
            let transport = ScriptedTransport(failures: [
                MailDeliveryFailure(description: "451 try later", isTransient: true),
                MailDeliveryFailure(description: "451 try later", isTransient: true),
            ])
            let worker = worker(environment, transport)

            #expect(await worker.runOnce() == 1)
            #expect(try await environment.store.outboxMails(limit: 1).first?.lastError == "451 try later")
            // Not due again before the first wait (60 s) is over.
            environment.clock.advance(by: 59)
            #expect(await worker.runOnce() == 0)
            environment.clock.advance(by: 1)
            #expect(await worker.runOnce() == 1)
            // The second wait is twice as long.
            environment.clock.advance(by: 119)
            #expect(await worker.runOnce() == 0)
            environment.clock.advance(by: 1)
            #expect(await worker.runOnce() == 1)
            #expect(transport.delivered.count == 1)
            let mail = try #require(try await environment.store.outboxMails(limit: 1).first)
            #expect(mail.id == id && mail.sentAt != nil && mail.attempts == 3)
            environment.clock.advance(by: 86_400)
            #expect(await worker.runOnce() == 0)
        }
    }

    @Test func permanentFailureIsRecordedAndNotRetried() async throws {
        try await TestEnvironment.with { environment in
            _ = try await environment.store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "Hello", textBody: "Body"),
                at: environment.clock.now()
            )
            let transport = ScriptedTransport(failures: [MailDeliveryFailure(description: "550 5.1.1 no such user", isTransient: false)])
            let worker = worker(environment, transport)
            #expect(await worker.runOnce() == 1)
            let mail = try #require(try await environment.store.outboxMails(limit: 1).first)
            #expect(mail.failedAt != nil && mail.lastError == "550 5.1.1 no such user")
            environment.clock.advance(by: 3600)
            #expect(await worker.runOnce() == 0)
            #expect(transport.delivered.isEmpty)
        }
    }

    @Test func retriesStopAfterADay() async throws {
        try await TestEnvironment.with { environment in
            _ = try await environment.store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "Hello", textBody: "Body"),
                at: environment.clock.now()
            )
            let transport = ScriptedTransport(
                failures: Array(repeating: MailDeliveryFailure(description: "connection refused", isTransient: true), count: 100)
            )
            let worker = worker(environment, transport)
            var tries = 0
            for _ in 0..<200 {
                tries += await worker.runOnce()
                environment.clock.advance(by: 3600)
            }
            let mail = try #require(try await environment.store.outboxMails(limit: 1).first)
            #expect(mail.failedAt != nil)
            #expect(mail.lastError?.contains("gave up") == true)
            #expect(tries < 40)
        }
    }

    @Test func fileTransportWritesAReadableMail() async throws {
        try await TestEnvironment.with { environment in
            _ = try await environment.store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "二段階認証 / Two-Factor", textBody: "本文\nline two"),
                at: environment.clock.now()
            )
            let directory = environment.dataDirectory + "/mail"
            let worker = worker(environment, FileMailTransport(directory: directory, messageIDDomain: "example.com"))
            #expect(await worker.runOnce() == 1)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".eml") }
            #expect(files.count == 1)
            let text = try String(contentsOfFile: directory + "/" + files[0], encoding: .utf8)
            #expect(text.contains("To: a@example.com"))
            #expect(text.contains("Subject: =?UTF-8?"))
            #expect(text.contains("\r\n"))
            #expect(try await environment.store.outboxMails(limit: 1).first?.sentAt != nil)
        }
    }

    /// Nothing acknowledged is lost: a mail that could not be sent survives a restart.
    @Test func queuedMailSurvivesARestartAndIsDeliveredByTheNextWorker() async throws {
        try await TestEnvironment.with { environment in
            _ = try await environment.store.enqueueMail(
                NewOutboxMail(recipient: "a@example.com", subject: "Hello", textBody: "Body"),
                at: environment.clock.now()
            )
            let down = ScriptedTransport(failures: [MailDeliveryFailure(description: "connection refused", isTransient: true)])
            #expect(await worker(environment, down).runOnce() == 1)

            // A new process: a new store on the same file, a new worker.
            let reopened = try SQLiteStore(path: environment.dependencies.configuration.databasePath)
            let transport = ScriptedTransport()
            let restarted = OutboxWorker(
                store: reopened,
                clock: environment.clock,
                transport: { transport },
                sender: { try MailAddress(address: "sekisho@example.com") },
                pollInterval: .milliseconds(10),
                metrics: SekishoMetrics(),
                logger: Logger(label: "test"),
                seal: environment.dependencies.outboxSeal
            )
            environment.clock.advance(by: 61)
            #expect(await restarted.runOnce() == 1)
            #expect(transport.delivered.map(\.subject) == ["Hello"])
        }
    }
}
