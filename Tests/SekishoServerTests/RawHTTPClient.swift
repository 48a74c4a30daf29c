import Foundation
import Synchronization
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// A tiny blocking HTTP/1.1 client for tests against real servers on loopback: it sends exactly
/// the headers it is given (including `Host`), follows no redirects and keeps cookies in a jar.
struct RawHTTPClient {
    struct Response {
        var status: Int
        var headers: [(name: String, value: String)]
        var body: String

        func header(_ name: String) -> String? { headers.first { $0.name.lowercased() == name.lowercased() }?.value }
        func headers(_ name: String) -> [String] { headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value) }
    }

    var cookies: [String: String] = [:]

    /// Sends one request to 127.0.0.1:`port` and reads the whole answer (the connection is closed
    /// after it), waiting on a Dispatch thread (``offPool(_:)``), never on the test's task: the
    /// cooperative pool has two threads here, and tests blocked in `read` starve every other test.
    mutating func send(
        port: Int,
        _ method: String,
        _ target: String,
        host: String,
        headers: [(String, String)] = [],
        form: [(String, String)]? = nil
    ) async throws -> Response {
        let client = self
        let (response, updated) = try await offPool {
            var copy = client
            let response = try copy.sendBlocking(port: port, method, target, host: host, headers: headers, form: form)
            return (response, copy)
        }
        self = updated
        return response
    }

    /// ``send(port:_:_:host:headers:form:)`` on the calling thread, for threads of a test's own.
    mutating func sendBlocking(
        port: Int,
        _ method: String,
        _ target: String,
        host: String,
        headers: [(String, String)] = [],
        form: [(String, String)]? = nil
    ) throws -> Response {
        var lines = ["\(method) \(target) HTTP/1.1", "Host: \(host)", "Connection: close"]
        if !cookies.isEmpty {
            lines.append("Cookie: " + cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; "))
        }
        lines += headers.map { "\($0.0): \($0.1)" }
        var body = ""
        if let form {
            body = form.map { "\(Browser.encode($0.0))=\(Browser.encode($0.1))" }.joined(separator: "&")
            lines += ["Content-Type: application/x-www-form-urlencoded", "Content-Length: \(body.utf8.count)"]
        }
        let raw = try Self.exchange(port: port, request: lines.joined(separator: "\r\n") + "\r\n\r\n" + body)
        let response = try Self.parse(raw)
        for header in response.headers(("Set-Cookie")) {
            let pair = header.split(separator: ";")[0].split(separator: "=", maxSplits: 1)
            let name = String(pair[0]).trimmingCharacters(in: .whitespaces)
            let value = pair.count > 1 ? String(pair[1]) : ""
            if value.isEmpty || header.contains("Max-Age=0") { cookies[name] = nil } else { cookies[name] = value }
        }
        return response
    }

    /// Sends `request` byte for byte (for malformed heads: no Host, two Hosts, HTTP/1.0) and
    /// reads the answer until the server closes the connection.
    static func sendRaw(port: Int, _ request: String) throws -> Response {
        try parse(exchange(port: port, request: request))
    }

    /// Sends `bytes` and closes the connection without reading: a client that gives up mid-request.
    static func sendAndHangUp(port: Int, _ bytes: String) throws {
        let fd = try connected(port: port)
        defer { close(fd) }
        try writeAll(bytes, to: fd, port: port)
    }

    /// Writes all of `text` to the socket `fd`.
    private static func writeAll(_ text: String, to fd: Int32, port: Int) throws {
        let data = Array(text.utf8)
        var sent = 0
        while sent < data.count {
            let count = data[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard count > 0 else { throw BrowserError("write to 127.0.0.1:\(port) failed (errno \(errno))") }
            sent += count
        }
    }

    /// A blocking TCP socket connected to 127.0.0.1:`port`, with 10-second send and receive timeouts.
    static func connected(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BrowserError("socket() failed") }
        var timeout = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw BrowserError("cannot connect to 127.0.0.1:\(port) (errno \(errno))")
        }
        return fd
    }

    private static func exchange(port: Int, request: String) throws -> [UInt8] {
        let fd = try connected(port: port)
        defer { close(fd) }
        try writeAll(request, to: fd, port: port)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = read(fd, &buffer, buffer.count)
            if count == 0 { break }
            guard count > 0 else { throw BrowserError("read from 127.0.0.1:\(port) failed or timed out (errno \(errno))") }
            received += buffer[0..<count]
        }
        return received
    }

    private static func parse(_ raw: [UInt8]) throws -> Response {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        guard let end = (0...(max(raw.count - 4, 0))).first(where: { raw.count >= $0 + 4 && Array(raw[$0..<$0 + 4]) == separator }) else {
            throw BrowserError("no complete HTTP head in \(raw.count) bytes")
        }
        let head = String(decoding: raw[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = head[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw BrowserError("bad status line: \(head[0])") }
        let headers = head.dropFirst().compactMap { line -> (name: String, value: String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        var body = Array(raw[(end + 4)...])
        if headers.contains(where: { $0.name.lowercased() == "transfer-encoding" && $0.value.lowercased().contains("chunked") }) {
            body = dechunk(body)
        }
        return Response(status: status, headers: headers, body: String(decoding: body, as: UTF8.self))
    }

    private static func dechunk(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard let lineEnd = (index..<bytes.count - 1).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }),
                let size = Int(String(decoding: bytes[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16), size > 0
            else { break }
            let start = lineEnd + 2
            result += bytes[start..<min(start + size, bytes.count)]
            index = start + size + 2
        }
        return result
    }
}

extension RawHTTPClient {
    /// Runs `body` for 0..<count, each on a thread of its own and all at once, as that many
    /// clients would; the results in index order. Threads, not tasks: the client blocks.
    static func concurrently<T: Sendable>(_ count: Int, _ body: @escaping @Sendable (Int) throws -> T) async -> [Result<T, any Error>] {
        let results = Mutex([Result<T, any Error>?](repeating: nil, count: count))
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            Thread {
                let result = Result { try body(index) }
                results.withLock { $0[index] = result }
                group.leave()
            }.start()
        }
        // Waited for without holding a thread of the cooperative pool.
        await withCheckedContinuation { continuation in group.notify(queue: .global()) { continuation.resume() } }
        return results.withLock { $0.map { $0 ?? .failure(BrowserError("no result")) } }
    }
}
