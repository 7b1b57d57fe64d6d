import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Why `freeLoopbackPort()` found no port.
public struct FreePortError: Error, CustomStringConvertible {
    public let call: String
    public let errno: Int32
    public var description: String { "\(call) on a loopback socket failed: \(String(cString: strerror(errno)))" }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed again), for tests
/// that must pass a server its port before it prints it.
public func freeLoopbackPort() throws(FreePortError) -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw FreePortError(call: "socket", errno: errno) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let failed = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> String? in
            if bind(fd, sa, length) != 0 { return "bind" }
            if getsockname(fd, sa, &length) != 0 { return "getsockname" }
            return nil
        }
    }
    if let failed { throw FreePortError(call: failed, errno: errno) }
    return Int(UInt16(bigEndian: address.sin_port))
}
