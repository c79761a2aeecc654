import CommandParser
import IntercomClient
import Journal
import LeadModel

/// `load found` and what the edits do to a selection: `set`, `attr`, `unset`, `unattr` change
/// every selected lead, `diff` sums them up per field, and `push` journals one update per lead
/// through an import's path (batched transactions, each lead's base from the cache).
extension Session {
    /// Leads read from the journal at a time while summing up or pushing a selection: memory
    /// holds this many leads, not the whole selection.
    static let selectionChunk = 500

    /// `load found`: the leads the last `find` listed become the selection.
    func loadFound() throws(CommandFailure) -> Reply {
        try refuseIfUnpushedEdits()
        guard !found.isEmpty else {
            throw CommandFailure(.noLead, "nothing to select: the last `find` found no leads (or none ran yet); `find CONDITION...` first")
        }
        selection = LeadSelection(ids: found)
        current = nil
        edits = FieldChanges()
        previewed = nil
        return Reply(.selected(count: found.count))
    }

    /// An edit of every selected lead: checked as for one lead; a lead that already holds the
    /// value is left alone by `push`.
    func editSelection(_ key: FieldKey, _ value: JSONValue) throws(CommandFailure) -> Reply {
        if case .custom(let name) = key, let problem = CustomAttributeRules.problem(withName: name) {
            throw CommandFailure(.invalidAttribute, problem)
        }
        if let problem = CustomAttributeRules.problem(withValue: value) {
            throw CommandFailure(.invalidValue, "\(key): \(problem)")
        }
        edits[key] = value
        return Reply(.selectionEdited(key: key, value: value, leads: selection?.ids.count ?? 0))
    }

    /// `diff` of a selection: per field, how many leads change, from which values (grouped,
    /// with counts) to the new one.
    func selectionDiff() throws(CommandFailure) -> Reply {
        let selected = selection?.ids ?? []
        var fields = edits.keys.map { key in SelectionChange(key: key, new: edits[key] ?? .null) }
        var tags = tagEdits.map { SelectionTagChange(name: $0.name, add: $0.add) }
        var tagIDs: [String: String] = [:]
        for tag in try journalCall({ try journal.workspaceTags() }) { if let id = tag.id { tagIDs[tag.name.lowercased()] = id } }
        var counted = 0
        try forEachSelected(selected) { view in
            counted += 1
            for index in tags.indices {
                if view.hasTag(tags[index].name, id: tagIDs[tags[index].name.lowercased()]) == tags[index].add {
                    tags[index].unchanged += 1
                } else {
                    tags[index].changing += 1
                }
            }
            for index in fields.indices {
                let old = view.value(of: fields[index].key)
                let present = old == .null ? nil : old
                guard !SelectionChange.same(present, fields[index].new) else {
                    fields[index].unchanged += 1
                    continue
                }
                fields[index].changing += 1
                fields[index].count(old: present)
            }
        }
        return Reply(.selectionChanges(SelectionDiff(leads: counted, missing: selected.count - counted, fields: fields, tags: tags)))
    }

    /// `push` of a selection: one update per lead that changes, journaled in batches; sent at
    /// once when online, as an import is. `--dry-run` counts and shows the first three bodies.
    func pushSelection(dryRun: Bool) async throws(CommandFailure) -> Reply {
        guard !edits.isEmpty || !tagEdits.isEmpty else {
            throw CommandFailure(.nothingToPush, "nothing to push: no pending edits (change the selection with `set` or `attr` first)")
        }
        let selected = selection?.ids ?? []
        var tagIDs: [String: String] = [:]
        for tag in try journalCall({ try journal.workspaceTags() }) { if let id = tag.id { tagIDs[tag.name.lowercased()] = id } }
        var push = SelectionPush(leads: selected.count, dryRun: dryRun)
        let batchID = String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let firstSeq = try journalCall { try journal.latestSeq() } + 1
        // What each lead's row reads: the edited fields (its base), its tags when tags change,
        // `updated_at` (the base's time) and its identifiers.
        var reads = Array(edits.keys) + [.standard("updated_at")]
        if !tagEdits.isEmpty { reads.append(.standard("tags")) }
        let projection = Contact.projection(reading: reads)
        var index = 0
        for chunk in selected.chunks(of: Session.selectionChunk) {
            let views = try journalCall { try journal.cachedViews(ids: chunk, reading: projection) }
            push.missing += chunk.count - views.count
            var rows: [ImportedUpdate] = []
            rows.reserveCapacity(views.count)
            for view in views {
                index += 1
                var changes = FieldChanges()
                var base = FieldChanges()
                for (key, value) in edits {
                    let old = view.value(of: key)
                    if !SelectionChange.same(old == .null ? nil : old, value) {
                        changes[key] = value
                        if let old { base[key] = old }
                    }
                }
                // Tags the lead does not carry yet, or carries and loses.
                var tags = TagChanges()
                for (name, add) in tagEdits where view.hasTag(name, id: tagIDs[name.lowercased()]) != add { tags[name] = add }
                guard !changes.isEmpty || !tags.isEmpty else {
                    push.unchanged += 1
                    continue
                }
                let reference = LeadReference(id: view.id, userID: view.userID, email: view.email)
                let update: LeadUpdate
                do {
                    update = changes.isEmpty ? LeadUpdate(unchecked: reference, changes: changes) : try LeadUpdate(lead: reference, changes: changes)
                } catch {
                    throw CommandFailure(.invalidUpdate, "push refused for lead \(view.id): \(error.description)")
                }
                if dryRun, push.bodies.count < 3, !changes.isEmpty {
                    do {
                        let call = try IntercomAPI.request(for: update, in: dialect)
                        push.bodies.append(PushBody(method: call.method, path: call.path, body: call.body))
                    } catch {
                        throw CommandFailure(.invalidUpdate, "push refused for lead \(view.id): \(error.description)")
                    }
                }
                let opID = "select:\(batchID):" + String(repeating: "0", count: max(0, 9 - String(index).count)) + String(index)
                var row = ImportedUpdate(opID: opID, update: update, viewed: ViewedBase(values: base, updatedAt: view.updatedAt))
                row.tags = tags.isEmpty ? nil : tags
                rows.append(row)
            }
            push.journaled += rows.count
            if dryRun || rows.isEmpty { continue }
            let result = try journalCall {
                try journal.appendImport(rows, apiVersion: apiVersion.description, coalesce: settings.coalesce, now: clock.now())
            }
            push.merged += result.merged
            onImportProgress(index)
        }
        if dryRun {
            previewed = edits
            return Reply(.selectionPushed(push))
        }
        // Durable from here on: the edits live in the journal.
        edits = FieldChanges()
        tagEdits = TagChanges()
        previewed = nil
        let lastSeq = try journalCall { try journal.latestSeq() }
        if lastSeq >= firstSeq { push.seqs = firstSeq...lastSeq }
        var notices: [Notice] = []
        if push.journaled > 0, connectivity.mode == .online, replayer != nil {
            let synced = try await sync(blind: settings.blind, wait: settings.syncWait)
            if case .synced(let sync) = synced.result { push.sync = sync }
            notices += synced.notices
        } else if push.journaled > 0, api == nil {
            notices.append(.noTokenToSend)
        }
        return Reply(.selectionPushed(push), notices: notices)
    }

    /// The selected leads as the user sees them, a chunk at a time.
    private func forEachSelected(_ ids: [String], _ body: (Contact) -> Void) throws(CommandFailure) {
        for chunk in ids.chunks(of: Session.selectionChunk) {
            for view in try journalCall({ try journal.cachedViews(ids: chunk) }) { body(view) }
        }
    }

    /// The refusal of a command that needs one lead while a selection is loaded.
    func oneLeadOnly(_ what: String) -> CommandFailure {
        CommandFailure(
            .invalidState,
            "\(what) works on one lead, and a selection of \(selection?.ids.count ?? 0) leads is loaded: `diff` shows its edits; `load ID` edits one lead")
    }
}

extension Array {
    /// The array cut into slices of at most `size` elements, in order.
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
