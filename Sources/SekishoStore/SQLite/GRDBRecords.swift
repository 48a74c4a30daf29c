import Foundation
import GRDB

/// The domain models double as GRDB records: snake_case columns (`user_id` ↔ `userID`), dates as
/// seconds since 1970 so that SQL compares them as numbers.
public protocol SnakeCaseRecord: FetchableRecord, PersistableRecord {}

extension SnakeCaseRecord {
    public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
        .custom { column in ColumnKey(stringValue: ColumnName.property(forColumn: column)) }
    }

    public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
        .custom { key in ColumnName.column(forProperty: key.stringValue) }
    }

    public static func databaseDateDecodingStrategy(for column: String) -> DatabaseDateDecodingStrategy { .timeIntervalSince1970 }

    public static func databaseDateEncodingStrategy(for column: String) -> DatabaseDateEncodingStrategy { .timeIntervalSince1970 }
}

/// Converts between Swift property names and column names; "ID" is one word in Swift.
enum ColumnName {
    static func property(forColumn column: String) -> String {
        let words = column.split(separator: "_").map(String.init)
        guard let first = words.first else { return column }
        return first + words.dropFirst().map { $0 == "id" ? "ID" : $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    static func column(forProperty property: String) -> String {
        var result = ""
        var characters = Array(property)[...]
        while let character = characters.first {
            if character == "I", characters.dropFirst().first == "D", characters.dropFirst(2).first.map({ !$0.isLowercase }) ?? true {
                result += "_id"
                characters = characters.dropFirst(2)
            } else if character.isUppercase {
                result += "_" + character.lowercased()
                characters = characters.dropFirst()
            } else {
                result.append(character)
                characters = characters.dropFirst()
            }
        }
        return result
    }
}

struct ColumnKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

extension User: SnakeCaseRecord { public static let databaseTableName = "user" }
extension TOTPBinding: SnakeCaseRecord { public static let databaseTableName = "totp_binding" }
extension PendingEnrollment: SnakeCaseRecord { public static let databaseTableName = "totp_enrollment" }
extension SessionRecord: SnakeCaseRecord { public static let databaseTableName = "session" }
extension AttemptRecord: SnakeCaseRecord { public static let databaseTableName = "attempt" }
extension OutboxMail: SnakeCaseRecord { public static let databaseTableName = "mail_outbox" }
extension AuditEvent: SnakeCaseRecord { public static let databaseTableName = "audit_event" }
