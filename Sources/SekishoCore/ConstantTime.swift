/// Comparisons whose running time does not depend on where two values first differ.
///
/// Comparing a submitted code with `==` stops at the first wrong byte, so response times
/// would tell an attacker how many leading bytes were right. These helpers look at every byte.
public enum ConstantTime {
    /// Whether two byte collections are equal, examining all bytes when the lengths match.
    ///
    /// The length itself is not secret (codes and hashes have fixed, public lengths), so a
    /// length mismatch returns early.
    public static func equals<A: Collection<UInt8>, B: Collection<UInt8>>(_ lhs: A, _ rhs: B) -> Bool {
        guard lhs.count == rhs.count else { return false }
        var difference: UInt8 = 0
        for (left, right) in zip(lhs, rhs) {
            difference |= left ^ right
        }
        return difference == 0
    }

    /// Whether two strings have identical UTF-8 bytes, examining all bytes when the lengths match.
    public static func equals(_ lhs: String, _ rhs: String) -> Bool {
        equals(lhs.utf8, rhs.utf8)
    }
}
