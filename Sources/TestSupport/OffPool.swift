import Dispatch

/// Runs blocking work (a socket read, waiting for a program) on a Dispatch thread instead of the
/// test's task: Swift's cooperative pool has one thread per core (two here), and a server under
/// test in the same process answers on that pool, so two tests blocked there would starve it.
@discardableResult
public func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
