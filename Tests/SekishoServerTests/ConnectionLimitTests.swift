import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import SekishoServer

#if canImport(Glibc)
import Glibc
#endif

/// Slow bodies and too many connections: a client may hold a connection only for a bounded
/// time, and a crowd of them cannot take every descriptor.
@Suite struct ConnectionLimitTests {
    /// A body trickling in (one byte, then nothing) is cut off after `server.body_timeout`;
    /// before, only the head was timed and such a connection stayed open for good.
    @Test func slowRequestBodiesAreCutOff() async throws {
        try await TestEnvironment.with(overrides: ["server.body_timeout": "0.3", "server.idle_timeout": "600"]) { environment in
            try await environment.application().test(.live) { client in
                let port = try #require(client.port)
                let (count, error) = try await offPool {
                    let socket = try RawHTTPClient.connected(port: port)
                    defer { close(socket) }
                    try Self.write(
                        socket,
                        "POST /login HTTP/1.1\r\nHost: localhost\r\nOrigin: http://localhost\r\n"
                            + "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nu"
                    )
                    // The receive timeout of the socket (10 s) bounds the wait; the server closes first.
                    var buffer = [UInt8](repeating: 0, count: 4096)
                    var count = 0
                    repeat { count = read(socket, &buffer, buffer.count) } while count > 0
                    return (count, errno)
                }
                #expect(count == 0, "the server did not close the connection (read gave \(count), errno \(error))")
            }
        }
    }

    /// Beyond `server.max_connections` a new connection is answered 503 with Retry-After at once
    /// and closed, while the admitted ones keep working; once one closes, a new client gets in.
    @Test func connectionsBeyondTheBoundAreRefusedNotStalled() async throws {
        // Four: the test framework's own client holds one connection for the whole test.
        try await TestEnvironment.with(overrides: ["server.max_connections": "4", "server.idle_timeout": "600"]) { environment in
            try await environment.application().test(.live) { client in
                let port = try #require(client.port)
                var admitted: [Int32] = []
                defer { for socket in admitted { close(socket) } }
                for _ in 0..<3 {
                    let socket = try RawHTTPClient.connected(port: port)
                    admitted.append(socket)
                    // An answered request proves the connection is counted before the next one opens.
                    #expect(try await Self.exchange(socket, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").status == 200)
                }
                let (answer, afterwards) = try await offPool {
                    let refused = try RawHTTPClient.connected(port: port)
                    defer { close(refused) }
                    let answer = try Self.readResponse(refused)
                    var buffer = [UInt8](repeating: 0, count: 16)
                    return (answer, read(refused, &buffer, buffer.count))
                }
                #expect(answer.status == 503)
                #expect(answer.head.lowercased().contains("retry-after:"))
                #expect(afterwards == 0, "the refused connection is closed")

                // The admitted connections still work.
                #expect(try await Self.exchange(admitted[0], "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n").status == 200)

                // One leaves; a new client is served as soon as the server has noticed (bounded wait).
                close(admitted.removeLast())
                var status = 0
                for _ in 0..<100 where status != 200 {
                    status =
                        (try? await offPool {
                            try RawHTTPClient.sendRaw(port: port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                        }.status) ?? 0
                    if status != 200 { try await Task.sleep(for: .milliseconds(20)) }
                }
                #expect(status == 200)
            }
        }
    }

    /// The bound follows the descriptor limit: every connection may also open a file, and 64
    /// descriptors stay free for the process itself, the database and mail.
    @Test func theBoundKeepsDescriptorsFree() {
        #expect(ConnectionLimit.effectiveMaximum(configured: 1000, descriptorLimit: 1024) == 480)
        #expect(ConnectionLimit.effectiveMaximum(configured: 100, descriptorLimit: 1024) == 100)
        #expect(ConnectionLimit.effectiveMaximum(configured: 1000, descriptorLimit: 128) == 32)
        #expect(ConnectionLimit.effectiveMaximum(configured: 1000, descriptorLimit: 20) == 1)
        #expect(ConnectionLimit.effectiveMaximum(configured: 1000, descriptorLimit: nil) == 1000)
    }

    /// Sends `request` on a kept-alive connection and reads its response, off the test's task.
    static func exchange(_ socket: Int32, _ request: String) async throws -> (status: Int, head: String, body: String) {
        try await offPool {
            try write(socket, request)
            return try readResponse(socket)
        }
    }

    static func write(_ socket: Int32, _ text: String) throws {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes[sent...].withUnsafeBytes { Glibc.write(socket, $0.baseAddress, $0.count) }
            guard count > 0 else { throw BrowserError("write failed (errno \(errno))") }
            sent += count
        }
    }

    /// Reads one response with a Content-Length body from a kept-alive connection.
    static func readResponse(_ socket: Int32) throws -> (status: Int, head: String, body: String) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let separator = Array("\r\n\r\n".utf8)
        while true {
            if let end = received.indices.first(where: { received[$0...].starts(with: separator) }) {
                let head = String(decoding: received[..<end], as: UTF8.self)
                let length =
                    head.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if received.count >= end + 4 + length {
                    let status = Int(head.split(separator: " ")[1]) ?? 0
                    return (status, head, String(decoding: received[(end + 4)..<(end + 4 + length)], as: UTF8.self))
                }
            }
            let count = read(socket, &buffer, buffer.count)
            guard count > 0 else { throw BrowserError("connection ended before a whole response (\(received.count) bytes)") }
            received += buffer[0..<count]
        }
    }
}
