import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A file as an `InputStream` that knows where it ends.
///
/// Foundation's file stream on Linux answers `hasBytesAvailable` true at the end of a file,
/// so CSV.swift's reader would take the end for a read error. This one reads ahead a block
/// when asked, so "no bytes available" means the end, and a failed `read(2)` is an error.
final class FileByteStream: InputStream {
    private let descriptor: Int32
    private let block: UnsafeMutablePointer<UInt8>
    private let capacity = 1 << 16
    private var start = 0
    private var end = 0
    private var atEnd = false
    private var status: Stream.Status = .notOpen
    private var failure: (any Error)?

    /// Opens the file for reading; nil when it cannot be opened.
    init?(path: String) {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        descriptor = fd
        block = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        super.init(data: Data())
    }

    deinit {
        if status != .closed { Glibc.close(descriptor) }
        block.deallocate()
    }

    override func open() { if status == .notOpen { status = .open } }

    override func close() {
        if status != .closed { Glibc.close(descriptor) }
        status = .closed
    }

    override var streamStatus: Stream.Status { status }
    override var streamError: (any Error)? { failure }

    override var hasBytesAvailable: Bool {
        fill()
        return start < end
    }

    override func read(_ buffer: UnsafeMutablePointer<UInt8>, maxLength length: Int) -> Int {
        fill()
        if failure != nil { return -1 }
        let count = min(length, end - start)
        if count > 0 {
            buffer.update(from: block + start, count: count)
            start += count
        }
        return count
    }

    /// Reads the next block when the last one is used up.
    private func fill() {
        guard start == end, !atEnd, status == .open else { return }
        while true {
            let n = Glibc.read(descriptor, block, capacity)
            if n < 0 && errno == EINTR { continue }
            if n < 0 {
                failure = NSError(domain: NSPOSIXErrorDomain, code: Int(errno), userInfo: [NSLocalizedDescriptionKey: String(cString: strerror(errno))])
                atEnd = true
                status = .error
            } else if n == 0 {
                atEnd = true
                status = .atEnd
            } else {
                start = 0
                end = n
            }
            return
        }
    }
}
