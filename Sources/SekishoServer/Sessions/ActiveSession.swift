import Foundation
import SekishoStore

/// A session that is valid now, with its user.
struct ActiveSession: Sendable {
    var record: SessionRecord
    var user: User

    var isSignedIn: Bool { record.state == .signedIn }
    var isAwaitingSecondFactor: Bool { record.state == .awaitingSecondFactor }
}
