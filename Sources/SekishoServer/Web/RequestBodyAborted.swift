import Hummingbird

/// The client stopped sending its request body before the end (closed the connection, or broke
/// the framing): nobody is left to read an answer, and it says nothing about the server.
///
/// Kept apart from other errors so that a crowd of clients giving up (a load balancer's health
/// checks timing out, a flood of half-sent forms) is not a crowd of error lines: see
/// ``ErrorPageMiddleware``, which logs it at debug level and counts it in the metrics.
struct RequestBodyAborted: Error, CustomStringConvertible {
    let underlying: any Error

    var description: String { "the client stopped sending the request body: \(underlying)" }

    /// The body of `request`, at most `limit` bytes (413 beyond); an abort becomes this error.
    static func collect(_ request: Request, upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.body.collect(upTo: limit)
        } catch let error as any HTTPResponseError {
            throw error
        } catch {
            throw RequestBodyAborted(underlying: error)
        }
    }
}
