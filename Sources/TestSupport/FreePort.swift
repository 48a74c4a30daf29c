import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Loopback ports for servers that the tests start as separate programs (which cannot bind port 0
/// and report back) and for "nothing listens here" tests.
///
/// A port is picked by binding port 0 and kept bound (with `SO_REUSEADDR`, not listening) until
/// ``PortReservation/release()``: while it is held, the kernel gives the port to no other socket
/// bound to port 0, in this process or another, yet a server that sets `SO_REUSEADDR` itself
/// (chronyd, PostgreSQL, nginx, Hummingbird) can still bind it. Releasing once the server is
/// ready closes the window in which a port found free was taken before the server bound it.
public enum FreePort {
    public enum Transport: Sendable {
        case tcp
        case udp
    }

    /// Ports this process was given: never handed out twice, even after a release.
    private static let given = Mutex<Set<Int>>([])

    /// A port held for the caller until ``PortReservation/release()``.
    public static func reserve(_ transport: Transport = .tcp) throws -> PortReservation {
        for _ in 0..<20 {
            let reservation = try PortReservation(transport)
            if given.withLock({ $0.insert(reservation.port).inserted }) { return reservation }
            reservation.release()
        }
        throw TestSupportError("no fresh loopback port in 20 tries")
    }

    /// Runs `body` with a port that stays bound, not listening, until `body` returns: a port that
    /// refuses connections and that no other test can take meanwhile.
    public static func withUnused<Result>(_ transport: Transport = .tcp, _ body: (Int) async throws -> Result) async throws -> Result {
        try await withCleanup(try reserve(transport), cleanup: { $0.release() }, { try await body($0.port) })
    }
}

/// A loopback port bound by this process; see ``FreePort``.
public final class PortReservation: Sendable {
    public let port: Int
    private let descriptor = Mutex<Int32>(-1)

    fileprivate init(_ transport: FreePort.Transport) throws {
        let fd = socket(AF_INET, Int32(transport == .tcp ? SOCK_STREAM.rawValue : SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket() failed: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard named else {
            let failure = errno
            close(fd)
            throw TestSupportError("binding a loopback port failed: errno \(failure)")
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        descriptor.withLock { $0 = fd }
    }

    /// Lets the port go; called once the server that uses it is listening. Idempotent.
    public func release() {
        descriptor.withLock { fd in
            if fd >= 0 { close(fd) }
            fd = -1
        }
    }

    deinit { release() }
}
