import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

/// What RFC 9110 and RFC 9112 ask of any HTTP server, checked on a real socket.
@Suite struct HTTPConformanceTests {
    /// HEAD answers like GET, without the body.
    @Test(arguments: ["/healthz", "/", "/login"])
    func headAnswersLikeGetWithoutABody(path: String) async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.live) { client in
                let port = try #require(client.port)
                let get = try await offPool {
                    try RawHTTPClient.sendRaw(port: port, "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                }
                let head = try await offPool {
                    try RawHTTPClient.sendRaw(port: port, "HEAD \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                }
                #expect(head.status == get.status, "HEAD \(path)")
                #expect([200, 302, 303].contains(head.status), "HEAD \(path) gave \(head.status)")
                #expect(head.body.isEmpty)
                #expect(head.header("Content-Type") == get.header("Content-Type"))
                #expect(head.header("Location") == get.header("Location"))
            }
        }
    }

    /// RFC 9112 §3.2: an HTTP/1.1 request without Host, or any request with two, gets 400.
    @Test func requestsWithoutOneHostHeaderAreRefused() async throws {
        try await TestEnvironment.with { environment in
            try await environment.application().test(.live) { client in
                let port = try #require(client.port)
                let missing = try await offPool { try RawHTTPClient.sendRaw(port: port, "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n") }
                #expect(missing.status == 400)
                let twice = try await offPool {
                    try RawHTTPClient.sendRaw(
                        port: port,
                        "GET /healthz HTTP/1.1\r\nHost: localhost\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
                    )
                }
                #expect(twice.status == 400)
                let twiceOld = try await offPool {
                    try RawHTTPClient.sendRaw(port: port, "GET /healthz HTTP/1.0\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n")
                }
                #expect(twiceOld.status == 400)
                // HTTP/1.0 had no Host: health checkers that speak it still get their answer.
                let old = try await offPool { try RawHTTPClient.sendRaw(port: port, "GET /healthz HTTP/1.0\r\nConnection: close\r\n\r\n") }
                #expect(old.status == 200)
                let fine = try await offPool {
                    try RawHTTPClient.sendRaw(port: port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                }
                #expect(fine.status == 200 && fine.body == "ok\n")
            }
        }
    }
}
