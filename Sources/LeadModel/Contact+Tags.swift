/// A lead's tags as leadsh reads and edits them: 1.x lists them by id and name
/// (`{"type":"tag.list","tags":[{"type":"tag","id","name"}]}`), 2.x by id only
/// (`{"type":"list","data":[{"type":"tag","id","url"}]}`), so names come from the
/// workspace's tag list where the lead's copy lacks them.
extension Contact {
    /// The key of the tag items in the lead's `tags` wrapper: `data` (2.x) or `tags` (1.x).
    private var tagItemsKey: String {
        fields["tags"]?.objectValue?.contains("data") == true ? "data" : "tags"
    }

    private var tagItems: [JSONObject] {
        (fields["tags"]?.objectValue?[tagItemsKey]?.arrayValue ?? []).compactMap(\.objectValue)
    }

    /// The lead's tags by name, in order: an item's own name, else the name `names` gives its id,
    /// else its id.
    public func tagNames(names byID: [String: String] = [:]) -> [String] {
        tagItems.compactMap { item in
            if let name = item["name"]?.stringValue { return name }
            guard let id = item["id"]?.stringValue else { return nil }
            return byID[id] ?? id
        }
    }

    /// Whether the lead carries the tag named `name` (by name, without regard to case, or by
    /// `id` when it is known).
    public func hasTag(_ name: String, id: String? = nil) -> Bool {
        let lowered = name.lowercased()
        return tagItems.contains { item in
            if let itemName = item["name"]?.stringValue, itemName.lowercased() == lowered { return true }
            if let id, item["id"]?.stringValue == id { return true }
            return false
        }
    }

    /// The lead with tags added and removed, as Intercom would show it after a tags row.
    /// - Parameter ids: tag ids by lower-cased name, where known.
    public func applyingTags(_ changes: TagChanges, ids: [String: String] = [:]) -> Contact {
        var copy = self
        var wrapper = fields["tags"]?.objectValue ?? JSONObject([("type", "tag.list")])
        let key = tagItemsKey
        var items = tagItems
        for (name, add) in changes {
            let id = ids[name.lowercased()]
            let lowered = name.lowercased()
            let carries: (JSONObject) -> Bool = { item in
                item["name"]?.stringValue?.lowercased() == lowered || (id != nil && item["id"]?.stringValue == id)
            }
            if add {
                guard !items.contains(where: carries) else { continue }
                var item = JSONObject([("type", "tag"), ("name", .string(name))])
                if let id { item["id"] = .string(id) }
                items.append(item)
            } else {
                items.removeAll(where: carries)
            }
        }
        wrapper[key] = .array(items.map(JSONValue.object))
        // 2.x counts the list apart (`total_count`): kept in step, as `show` reads it.
        if wrapper.contains("total_count") { wrapper["total_count"] = .integer(Int64(items.count)) }
        copy.fields["tags"] = .object(wrapper)
        return copy
    }
}
