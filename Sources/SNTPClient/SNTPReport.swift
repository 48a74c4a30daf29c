/// The outcome of querying several servers at once.
public struct SNTPReport: Sendable {
    /// The result for one server.
    public struct Entry: Sendable {
        /// The server queried.
        public var server: SNTPServer
        /// Its measurement, or why there is none.
        public var result: Result<SNTPMeasurement, SNTPError>

        /// Creates an entry.
        public init(server: SNTPServer, result: Result<SNTPMeasurement, SNTPError>) {
            self.server = server
            self.result = result
        }
    }

    /// One entry per server, in the order the servers were given.
    public var results: [Entry]

    /// Creates a report from per-server results.
    public init(results: [Entry]) {
        self.results = results
    }

    /// The valid measurement with the smallest round-trip delay, the one least distorted by network asymmetry;
    /// `nil` if no server gave a valid answer.
    public var best: SNTPMeasurement? {
        self.results.compactMap { try? $0.result.get() }.min { $0.delay < $1.delay }
    }
}
