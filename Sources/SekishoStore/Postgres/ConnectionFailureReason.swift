import NIOCore
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// Why a TCP connection to the database failed, in words an operator reads at start-up.
///
/// SwiftNIO's own descriptions (`NIOConnectionError(… SingleConnectionFailure(… errno: 111))`) name its types;
/// this says "connection refused (nothing accepts connections on that port)" instead.
enum ConnectionFailureReason {
    /// The reason for `error`, or `nil` when it is not a connection failure this knows.
    static func describe(_ error: any Error) -> String? {
        switch error {
        case let error as NIOConnectionError:
            if let failure = error.connectionErrors.first {
                return describe(failure.error) ?? "the connection failed"
            }
            if error.dnsAError != nil || error.dnsAAAAError != nil {
                return "the host name could not be resolved (check the host in database.url and DNS)"
            }
            return "no address was found for the host name"
        case let error as IOError:
            return describe(errno: error.errnoCode)
        case let error as ChannelError:
            guard case .connectTimeout = error else { return nil }
            return "no answer before the connect timeout (a firewall may drop the packets, or the host is down)"
        default:
            return nil
        }
    }

    /// The common `connect(2)` failures in words; others by the C library's text.
    static func describe(errno code: Int32) -> String {
        switch code {
        case ECONNREFUSED: "connection refused (nothing accepts connections on that port: is PostgreSQL running and listening there?)"
        case ETIMEDOUT: "the connection timed out (a firewall may drop the packets, or the host is down)"
        case EHOSTUNREACH: "the host is unreachable"
        case ENETUNREACH: "the network is unreachable"
        case ECONNRESET: "the connection was reset by the other side"
        case EADDRNOTAVAIL: "the address is not available on this machine"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}
