import NIOCore
import NIOPosix
import NIOSSL

extension SMTPError {
    /// Classifies a lower-level error (NIO, NIOSSL) as an ``SMTPError`` and decides whether it is transient.
    static func wrapping(_ error: any Error, step: String?) -> SMTPError {
        if let error = error as? SMTPError {
            return error
        }
        if error is CancellationError {
            return SMTPError(kind: .cancelled, detail: "sending was cancelled", step: step, isTransient: true, underlying: error)
        }
        if let error = error as? NIOSSLError {
            switch error {
            case .handshakeFailed(.sslError(let stack)) where stack.contains(.eofDuringHandshake):
                return SMTPError(
                    kind: .connectionClosed,
                    detail: "connection closed during the TLS handshake",
                    step: step,
                    isTransient: true,
                    underlying: error
                )
            case .uncleanShutdown:
                return SMTPError(
                    kind: .connectionClosed,
                    detail: "connection closed without TLS close_notify",
                    step: step,
                    isTransient: true,
                    underlying: error
                )
            default:
                // Certificate chain, host name or protocol mismatches: configuration problems that retrying will not fix.
                return SMTPError(kind: .tlsFailure, detail: "TLS handshake failed: \(error)", step: step, isTransient: false, underlying: error)
            }
        }
        if let error = error as? NIOSSLExtraError {
            return SMTPError(kind: .tlsFailure, detail: "TLS failure: \(error)", step: step, isTransient: false, underlying: error)
        }
        if let error = error as? ChannelError {
            switch error {
            case .connectTimeout(let amount):
                return SMTPError(
                    kind: .timeout,
                    detail: "timeout after \(Double(amount.nanoseconds) / 1e9) s connecting",
                    step: step,
                    isTransient: true,
                    underlying: error
                )
            case .eof, .ioOnClosedChannel, .alreadyClosed, .outputClosed, .inputClosed:
                return SMTPError(kind: .connectionClosed, detail: "server closed the connection", step: step, isTransient: true, underlying: error)
            default:
                return SMTPError(kind: .connectionFailed, detail: "connection failed: \(error)", step: step, isTransient: true, underlying: error)
            }
        }
        if error is NIOConnectionError || error is SocketAddressError {
            return SMTPError(kind: .connectionFailed, detail: "cannot connect: \(error)", step: step, isTransient: true, underlying: error)
        }
        if let error = error as? IOError {
            return SMTPError(kind: .connectionClosed, detail: "I/O error: \(error)", step: step, isTransient: true, underlying: error)
        }
        // Unknown failures are treated as transient: retrying a mail costs little, dropping one costs a user a code.
        return SMTPError(kind: .connectionFailed, detail: "\(error)", step: step, isTransient: true, underlying: error)
    }
}
