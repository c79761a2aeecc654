import LeadModel

extension LeadStore {
    /// 1.x's "List by Email" (`GET /contacts?email=`): the leads with that email, in any case,
    /// as a `contact.list` of whole 1.x leads on one page, as Intercom's 1.x reference shows it.
    /// No match is an empty list, not a 404.
    func v1List(email: String) -> JSONValue {
        let wanted = email.lowercased()
        let matches = leads.filter { $0.email?.lowercased() == wanted && !wanted.isEmpty }
        return [
            "type": "contact.list",
            "total_count": .integer(Int64(matches.count)),
            "contacts": .array(matches.map { .object($0.fields) }),
            "pages": [
                "type": "pages", "next": nil, "page": 1, "per_page": 50,
                "total_pages": .integer(matches.isEmpty ? 0 : 1),
            ],
        ]
    }
}
