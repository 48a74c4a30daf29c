/// Cost parameters for Argon2id.
///
/// The defaults are OWASP's first recommendation for Argon2id (m=19 MiB, t=2, p=1), which is also
/// the minimum the product specification allows.
public struct Argon2Parameters: Sendable, Hashable {
    /// Memory cost in kibibytes (`m` in the PHC string).
    public var memoryKiB: UInt32 = 19456
    /// Number of passes over memory (`t` in the PHC string).
    public var iterations: UInt32 = 2
    /// Degree of parallelism, the number of lanes (`p` in the PHC string).
    public var parallelism: UInt32 = 1

    /// OWASP's recommended minimum: m=19456 KiB, t=2, p=1.
    public static let `default` = Argon2Parameters()

    /// Creates parameters; each defaults to the value in ``default``.
    public init(memoryKiB: UInt32 = 19456, iterations: UInt32 = 2, parallelism: UInt32 = 1) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    /// Whether any dimension of `self` is weaker than the corresponding one of `other`.
    ///
    /// Used to decide whether a stored hash should be re-computed with stronger settings.
    public func isWeaker(than other: Argon2Parameters) -> Bool {
        self.memoryKiB < other.memoryKiB || self.iterations < other.iterations || self.parallelism < other.parallelism
    }
}
