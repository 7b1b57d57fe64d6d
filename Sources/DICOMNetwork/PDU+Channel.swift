import NIOCore

/// What the framer hands up: a PDU, or the fault that ended framing (after which the connection is
/// aborted; later bytes are dropped unread).
public enum InboundPDU: Sendable, Equatable {
    case pdu(PDU)
    case invalid(PDUError)
}

/// Frames the byte stream into PDUs. The header is checked (type, length against `PDULimits`) before
/// the body is buffered, so a peer cannot make us hold more than one maximum PDU.
struct PDUFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InboundPDU
    let limits: PDULimits
    private var failed = false

    init(limits: PDULimits) { self.limits = limits }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        if failed {
            buffer.moveReaderIndex(to: buffer.writerIndex)
            return .needMoreData
        }
        guard let header = buffer.getBytes(at: buffer.readerIndex, length: min(buffer.readableBytes, PDUCodec.headerLength)) else {
            return .needMoreData
        }
        let total: Int
        do {
            guard let n = try PDUCodec.frameLength(header, limits: limits) else { return .needMoreData }
            total = n
        } catch {
            fail(error, context: context, buffer: &buffer)
            return .needMoreData
        }
        guard buffer.readableBytes >= total, let bytes = buffer.readBytes(length: total) else { return .needMoreData }
        do {
            context.fireChannelRead(wrapInboundOut(.pdu(try PDUCodec.decode(bytes, limits: limits))))
        } catch {
            fail(error, context: context, buffer: &buffer)
        }
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        // Bytes of an incomplete PDU at close are dropped: the association is gone anyway.
        while try decode(context: context, buffer: &buffer) == .continue {}
        buffer.moveReaderIndex(to: buffer.writerIndex)
        return .needMoreData
    }

    private mutating func fail(_ error: PDUError, context: ChannelHandlerContext, buffer: inout ByteBuffer) {
        failed = true
        buffer.moveReaderIndex(to: buffer.writerIndex)
        context.fireChannelRead(wrapInboundOut(.invalid(error)))
    }
}

/// PDU values to bytes.
struct PDUEncoder: MessageToByteEncoder {
    typealias OutboundIn = PDU
    func encode(data: PDU, out: inout ByteBuffer) throws {
        out.writeBytes(PDUCodec.encode(data))
    }
}

/// Closes a connection that sends no A-ASSOCIATE-RQ within the ARTIM timeout (PS3.8 9.1.5), and one
/// on which nothing is read or written for `idle`; in both cases an A-ABORT is sent first.
final class AssociationTimeoutHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = InboundPDU
    typealias InboundOut = InboundPDU
    typealias OutboundIn = PDU
    typealias OutboundOut = PDU

    let artim: TimeAmount
    let idle: TimeAmount
    // Touched on the channel's event loop only.
    private var artimTask: Scheduled<Void>?
    private var idleTask: Scheduled<Void>?

    init(artim: TimeAmount, idle: TimeAmount) {
        self.artim = artim
        self.idle = idle
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        artimTask = context.eventLoop.scheduleTask(in: artim) { [weak self] in
            self?.expire(loopBound.value, reason: "no A-ASSOCIATE-RQ within the ARTIM timeout")
        }
        touch(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .pdu(.associateRequest) = unwrapInboundIn(data) {
            artimTask?.cancel()
            artimTask = nil
        }
        touch(context)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        touch(context)
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        artimTask?.cancel()
        idleTask?.cancel()
        context.fireChannelInactive()
    }

    private func touch(_ context: ChannelHandlerContext) {
        idleTask?.cancel()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        idleTask = context.eventLoop.scheduleTask(in: idle) { [weak self] in
            self?.expire(loopBound.value, reason: "idle timeout")
        }
    }

    private func expire(_ context: ChannelHandlerContext, reason: String) {
        artimTask?.cancel()
        idleTask?.cancel()
        guard context.channel.isActive else { return }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.abort(.providerNotSpecified))).whenComplete { _ in
            bound.value.close(promise: nil)
        }
    }
}
