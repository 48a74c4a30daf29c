import Synchronization

/// Whether the latest writes reached the database, for `/readyz`.
///
/// Reads keep working while writes fail (disk full, another process holding SQLite's write
/// lock, a PostgreSQL server in recovery), so answering a read is not enough to be ready: an
/// instance that cannot record a sign-in should leave the load balancer's rotation.
public final class WriteHealth: Sendable {
    private let lastFailure = Mutex<String?>(nil)

    public init() {}

    /// Why the latest write failed; nil when it succeeded (or none has been tried).
    public var failure: String? { lastFailure.withLock { $0 } }

    /// Records a committed write.
    public func succeeded() {
        lastFailure.withLock { $0 = nil }
    }

    /// Records a write the database could not take.
    public func failed(_ reason: String) {
        lastFailure.withLock { $0 = reason }
    }
}
