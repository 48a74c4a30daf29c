import Dispatch

/// Runs blocking socket calls on a Dispatch thread instead of the test's task: Swift's
/// cooperative pool has one thread per core (two here), and a server under test in the same
/// process answers on that pool, so two tests blocked in `read` would starve it until their
/// read timeouts.
func blockingIO<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
