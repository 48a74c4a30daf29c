import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import TestSupport
import Testing

@Suite struct AbortedRequestTests {
    /// Clients that give up in the middle of a body are routine: they are counted and logged at
    /// debug level, not one error line each (600 clients used to make 600 lines).
    @Test func abortedBodiesAreNotOneErrorLineEach() async throws {
        try await TestEnvironment.with { environment in
            let capture = LogCapture()
            let clients = 40
            try await environment.application(logger: capture.logger(level: .trace)).test(.live) { client in
                let port = try #require(client.port)
                try await offPool {
                    for _ in 0..<clients {
                        try RawHTTPClient.sendAndHangUp(
                            port: port,
                            "POST /login HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\n"
                                + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nusername=al"
                        )
                    }
                }
                // The server notices each hang-up on its own time: wait (bounded) until it has.
                for _ in 0..<200 where capture.all.filter({ $0.message.hasPrefix("aborted POST /login") }).count < clients {
                    try await Task.sleep(for: .milliseconds(50))
                }
                let aborted = capture.all.filter { $0.message.hasPrefix("aborted POST /login") }
                #expect(aborted.count == clients, "\(capture.text)")
                #expect(aborted.allSatisfy { $0.level == .debug })
                let loud = capture.all.filter { $0.level >= .warning }
                #expect(loud.isEmpty, "\(loud)")
                let metrics = try await offPool {
                    try RawHTTPClient.sendRaw(port: port, "GET /metrics HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                }
                #expect(metrics.body.contains("sekisho_aborted_request_bodies_total \(clients)"), "\(metrics.body)")
            }
        }
    }
}
