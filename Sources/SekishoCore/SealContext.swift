/// Where a sealed value lives, bound into its AES-GCM associated data.
///
/// A ciphertext sealed for one row opens only for that row: someone with write access to the
/// database cannot copy another user's sealed TOTP secret into their own row and have it accepted.
public struct SealContext: Sendable, Hashable {
    /// The table name.
    public let table: String
    /// The column name.
    public let column: String
    /// The row's stable identifier (its primary key as text).
    public let rowID: String

    /// Creates a context for one cell of the database.
    public init(table: String, column: String, rowID: String) {
        self.table = table
        self.column = column
        self.rowID = rowID
    }

    /// The associated data: a version tag, then each part as a 4-byte big-endian length and its UTF-8.
    ///
    /// Length prefixes make the encoding unambiguous: ("ab", "c") and ("a", "bc") differ, which a
    /// separator character would not guarantee.
    public var associatedData: [UInt8] {
        var data = Array("sekisho-seal-v1".utf8)
        for part in [table, column, rowID] {
            let bytes = Array(part.utf8)
            withUnsafeBytes(of: UInt32(bytes.count).bigEndian) { data.append(contentsOf: $0) }
            data += bytes
        }
        return data
    }
}
