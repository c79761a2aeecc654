import LeadModel

/// A note on a contact, as the fake stores it (2.14 schema `note`; 1.x "Notes").
public struct FakeNote: Sendable, Hashable {
    /// Intercom's note id: digits, as a string.
    public var id: String
    /// The contact the note is about.
    public var contactID: String
    /// The body as Intercom stores it: HTML (``NoteBook/html(from:)``).
    public var body: String
    /// When the note was made, in Unix seconds on the fake's clock.
    public var createdAt: Int64
    /// The admin who wrote it.
    public var authorID: String

    public init(id: String, contactID: String, body: String, createdAt: Int64, authorID: String) {
        self.id = id
        self.contactID = contactID
        self.body = body
        self.createdAt = createdAt
        self.authorID = authorID
    }

    /// The 2.x `note`: `{type, id, created_at, contact: {type, id}, author: admin, body}`.
    var v2JSON: JSONValue {
        [
            "type": "note", "id": .string(id), "created_at": .integer(createdAt),
            "contact": ["type": "contact", "id": .string(contactID)],
            "author": Self.author(authorID, v1: false), "body": .string(body),
        ]
    }

    /// The 1.x note: `{type, id, created_at, body, author: admin, user: {type: "user", id}}`
    /// (1.x reference, "Create a Note"; leads are named as users there too).
    var v1JSON: JSONValue {
        [
            "type": "note", "id": .string(id), "created_at": .integer(createdAt), "body": .string(body),
            "author": Self.author(authorID, v1: true), "user": ["type": "user", "id": .string(contactID)],
        ]
    }

    /// The author as an admin object: the workspace's admin (the one `/me` answers) in full,
    /// any other id as `{type, id}` only (the fake knows no other admin).
    static func author(_ id: String, v1: Bool) -> JSONValue {
        guard id == Backend.adminID else { return ["type": "admin", "id": .string(id)] }
        var admin = JSONObject([
            ("type", "admin"), ("id", .string(id)), ("name", .string(Backend.adminName)),
            ("email", .string(Backend.adminEmail)),
        ])
        if !v1 {
            // The 2.14 examples' admin carries its away mode.
            admin["away_mode_enabled"] = false
            admin["away_mode_reassign"] = false
        }
        return .object(admin)
    }
}

/// Every contact's notes, oldest first per contact; ids are unique in the workspace.
///
/// A note is not idempotent: each create makes a new one, as Intercom's does.
struct NoteBook: Sendable {
    private var byContact: [String: [FakeNote]] = [:]
    /// The id the next note gets (the 2.14 schema's example note is `17495962`).
    private var nextID = 17_495_962

    /// The contact's notes, oldest first.
    func notes(of contactID: String) -> [FakeNote] { byContact[contactID] ?? [] }

    /// The note with this id, whoever it is about.
    func note(id: String) -> FakeNote? {
        for notes in byContact.values {
            if let note = notes.first(where: { $0.id == id }) { return note }
        }
        return nil
    }

    /// Stores a note whose body is already HTML.
    mutating func add(contactID: String, html body: String, authorID: String, now: Int64) -> FakeNote {
        let note = FakeNote(
            id: String(nextID), contactID: contactID, body: body, createdAt: now, authorID: authorID)
        nextID += 1
        byContact[contactID, default: []].append(note)
        return note
    }

    /// Moves a merged contact's notes onto the contact it was merged into, keeping creation order.
    mutating func move(from contactID: String, to targetID: String) {
        guard let moved = byContact.removeValue(forKey: contactID), !moved.isEmpty else { return }
        let retargeted = moved.map { note in
            var note = note
            note.contactID = targetID
            return note
        }
        byContact[targetID, default: []].append(contentsOf: retargeted)
        byContact[targetID]?.sort { ($0.createdAt, Int($0.id) ?? 0) < ($1.createdAt, Int($1.id) ?? 0) }
    }

    /// A note's text as Intercom stores it: HTML. Text that already starts with `<` is taken as
    /// HTML and kept; other text has `&`, `<` and `>` escaped and is wrapped in `<p>…</p>`
    /// (the 1.x reference: "The submitted body may be enclosed with html p elements"; the 2.14
    /// examples answer `Hello` as `<p>Hello</p>`). How Intercom splits lines into paragraphs is
    /// not documented; the fake keeps newlines as they are.
    static func html(from text: String) -> String {
        if text.hasPrefix("<") { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 7)
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            default: escaped.append(character)
            }
        }
        return "<p>" + escaped + "</p>"
    }
}

extension FakeWorkspace {
    /// The lead's notes, oldest first (a merged lead's notes are its user's now); empty when
    /// it has none or no lead has this id.
    public func notes(leadID: String) -> [FakeNote] { backend.notes(leadID: leadID) }

    /// Adds a note as a teammate would in Intercom, written by the admin `GET /me` names:
    /// the body is stored as Intercom stores it (HTML, ``NoteBook/html(from:)``), at the fake's now.
    ///
    /// - Returns: the note; nil (and nothing changes) when no lead has this id.
    @discardableResult
    public func addNote(leadID: String, body: String) -> FakeNote? {
        backend.addNote(leadID: leadID, body: body, now: backend.now())
    }
}
