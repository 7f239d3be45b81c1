// TPipe, TQue/TQueBind and TBuf: the only source of local tensors.
#pragma once

#include <cstdint>
#include <deque>
#include <vector>

#include "base.h"
#include "tensor.h"

namespace twin {
// What a queue / TBuf was initialised from (a TPipe or a TBufPool): its buffers are released when the
// owner's generation moves on (TPipe::Reset, TBufPool::Reset) or the owner itself was released.
struct BufOwner {
    virtual ~BufOwner() = default;
    virtual bool twin_alive() const = 0;
    virtual uint32_t twin_generation() const = 0;
};
}  // namespace twin

namespace AscendC {

class TPipe;
template <TPosition pos, uint32_t bufIDSize> class TBufPool;
constexpr uint32_t defaultBufIDSize = 4;

// Event ids of TPipe::AllocEventID/FetchEventID (v8.5.0 kernel_tensor_base.h: int8_t).
using TEventID = int8_t;
constexpr TEventID INVALID_TEVENTID = static_cast<TEventID>(-1);

enum class TBufState : uint8_t { FREE = 0, OCCUPIED, ENQUE, DEQUE };

}  // namespace AscendC
namespace twin {
namespace queue_detail {
using namespace ::AscendC;
constexpr uint32_t kMaxBuffersPerPipe = 64;
constexpr int kMaxLivePerPosition = 8;

inline const char* state_name(TBufState s) {
    switch (s) {
        case TBufState::FREE: return "FREE";
        case TBufState::OCCUPIED: return "OCCUPIED";
        case TBufState::ENQUE: return "ENQUE";
        case TBufState::DEQUE: return "DEQUE";
    }
    return "?";
}

// Memory used by a queue bound from `src` to `dst`: the local end of the pair.
constexpr TPosition local_position(TPosition src, TPosition dst) { return src == TPosition::GM ? dst : src; }
}  // namespace queue_detail
}  // namespace twin
namespace AscendC {

// A TPipe hands out 32-byte-rounded buffers from each local memory of the calling core.
class TPipe : public twin::BufOwner {
public:
    TPipe() {
        if (twin::CoreCtx* c = twin::current_core_ptr()) {
            core_ = c;
            c->tpipe = this;
        }
    }
    ~TPipe() {
        if (core_ && core_->tpipe == this) core_->tpipe = nullptr;
    }
    TPipe(const TPipe&) = delete;
    TPipe& operator=(const TPipe&) = delete;

    template <class Q>
    bool InitBuffer(Q& que, uint8_t num, uint32_t len, twin::SrcLoc loc = twin::SrcLoc::here()) {
        const TPosition pos = Q::twin_position();
        if (num == 0) twin::fail(loc, "TPipe::InitBuffer", "queue needs at least one buffer", "num = 0");
        uint32_t rlen = (len + 31u) / 32u * 32u;
        uint32_t first = allocate(loc, pos, num, rlen, "TPipe::InitBuffer");
        que.twin_init(this, pos, first, num, rlen, generation_);
        return true;
    }
    template <class B>
    auto InitBuffer(B& buf, uint32_t len, twin::SrcLoc loc = twin::SrcLoc::here())
        -> decltype(B::twin_is_tbuf(), bool()) {
        const TPosition pos = B::twin_position();
        uint32_t rlen = (len + 31u) / 32u * 32u;
        uint32_t off = allocate(loc, pos, 1, rlen, "TPipe::InitBuffer");
        buf.twin_init(this, pos, off, rlen, generation_);
        return true;
    }
    // Release every buffer; queues and TBufs initialised before are unusable until re-initialised.
    void Reset() {
        for (uint32_t& c : cursor_) c = 0;
        buffers_ = 0;
        ++generation_;
        if (core_)
            for (int& n : core_->live_per_pos) n = 0;
    }
    void Destroy() { Reset(); }
    void Init() { Reset(); }

    // Event ids for SetFlag/WaitFlag (0-7 per HardEvent).
    template <HardEvent evt> TEventID AllocEventID(twin::SrcLoc loc = twin::SrcLoc::here()) {
        uint8_t& bits = twin::core(loc).event_ids_allocated[int(evt)];
        for (int i = 0; i < 8; ++i)
            if (!(bits & (1u << i))) {
                bits |= uint8_t(1u << i);
                return TEventID(i);
            }
        twin::fail(loc, "TPipe::AllocEventID", "no free event id (ids 0-7)",
                   twin::strf("all 8 ids of HardEvent::%s are allocated", twin::hard_event_name(evt)));
    }
    template <HardEvent evt> void ReleaseEventID(TEventID id, twin::SrcLoc loc = twin::SrcLoc::here()) {
        if (id < 0 || id > 7)
            twin::fail(loc, "TPipe::ReleaseEventID", "event id must be in [0, 7]", twin::strf("id = %d", id));
        twin::core(loc).event_ids_allocated[int(evt)] &= uint8_t(~(1u << id));
    }
    // An id not handed out by AllocEventID (it is not reserved).
    TEventID FetchEventID(HardEvent evt, twin::SrcLoc loc = twin::SrcLoc::here()) {
        uint8_t bits = twin::core(loc).event_ids_allocated[int(evt)];
        for (int i = 0; i < 8; ++i)
            if (!(bits & (1u << i))) return TEventID(i);
        twin::fail(loc, "TPipe::FetchEventID", "no free event id (ids 0-7)",
                   twin::strf("all 8 ids of HardEvent::%s are allocated", twin::hard_event_name(evt)));
    }
    template <HardEvent evt> TEventID FetchEventID(twin::SrcLoc loc = twin::SrcLoc::here()) {
        return FetchEventID(evt, loc);
    }

    // A TBufPool of len bytes (rounded to 32 B) in the memory of the pool's position.
    template <class T> bool InitBufPool(T& bufPool, uint32_t len, twin::SrcLoc loc = twin::SrcLoc::here()) {
        const TPosition pos = T::poolPos;
        uint32_t rlen = (len + 31u) / 32u * 32u;
        uint32_t off = allocate(loc, pos, 1, rlen, "TPipe::InitBufPool");
        bufPool.twin_init_pool(this, twin::pos_mem(pos), off, rlen);
        return true;
    }
    // A TBufPool sharing shareBuf's start address (len must not exceed shareBuf's length).
    template <class T, class U>
    bool InitBufPool(T& bufPool, uint32_t len, U& shareBuf, twin::SrcLoc loc = twin::SrcLoc::here()) {
        return bufPool.twin_init_shared(this, len, shareBuf, loc, "TPipe::InitBufPool");
    }

    // --- twin internals ---
    bool twin_alive() const override { return true; }
    uint32_t twin_generation() const override { return generation_; }
    uint32_t twin_allocate(const twin::SrcLoc& loc, TPosition pos, uint32_t num, uint32_t rlen, const char* api) {
        return allocate(loc, pos, num, rlen, api);
    }
    uint32_t twin_used(twin::Mem m) const { return cursor_[int(m)]; }
    uint32_t twin_buffer_count() const { return buffers_; }
    twin::CoreCtx* twin_core() const { return core_; }

private:
    uint32_t allocate(const twin::SrcLoc& loc, TPosition pos, uint32_t num, uint32_t rlen, const char* api) {
        twin::CoreCtx& c = twin::core(loc);
        if (!core_) {
            core_ = &c;
            c.tpipe = this;
        }
        twin::Mem m = twin::pos_mem(pos);
        if (m == twin::Mem::NONE || m == twin::Mem::GM)
            twin::fail(loc, api, "position has no local memory",
                       twin::strf("TPosition::%s cannot hold TPipe buffers", twin::position_name(pos)));
        uint32_t cap = c.mem_size(m);
        if (cap == 0)
            twin::fail(loc, api, "memory not present on this core",
                       twin::strf("TPosition::%s lives in %s, which an %s core does not have", twin::position_name(pos),
                                  twin::mem_name(m), c.is_aic ? "AIC" : "AIV"));
        if (buffers_ + num > twin::queue_detail::kMaxBuffersPerPipe)
            twin::fail(loc, api, "at most 64 buffers per TPipe",
                       twin::strf("%u buffers exist, %u more requested", buffers_, num));
        uint64_t need = uint64_t(num) * rlen;
        uint32_t& cur = cursor_[int(m)];
        if (cur + need > cap)
            twin::fail(loc, api, twin::strf("%s capacity exceeded", twin::mem_name(m)),
                       twin::strf("%u x %u B requested at offset %u, %s holds %u B (%llu B short)", num, rlen, cur,
                                  twin::mem_name(m), cap, (unsigned long long)(cur + need - cap)));
        uint32_t first = cur;
        cur += static_cast<uint32_t>(need);
        c.ensure_filled(m, cur);  // first use of these bytes: the launch's fill value
        buffers_ += num;
        return first;
    }

    twin::CoreCtx* core_ = nullptr;
    uint32_t cursor_[twin::kMemCount] = {};
    uint32_t buffers_ = 0;
    uint32_t generation_ = 1;
};

inline TPipe* GetTPipePtr() {
    twin::CoreCtx* c = twin::current_core_ptr();
    return c ? static_cast<TPipe*>(c->tpipe) : nullptr;
}

// A queue of `num` equal buffers moving through FREE -> OCCUPIED -> ENQUE -> DEQUE -> FREE.
template <TPosition SRC, TPosition DST, int32_t DEPTH, auto MASK = 0> class TQueBind {
public:
    static constexpr TPosition twin_position() { return twin::queue_detail::local_position(SRC, DST); }

    template <class T> LocalTensor<T> AllocTensor(twin::SrcLoc loc = twin::SrcLoc::here()) {
        check_ready(loc, "TQue::AllocTensor");
        twin::CoreCtx& c = twin::core(loc);
        int& live = c.live_per_pos[int(twin_position())];
        int idx = -1;
        for (size_t i = 0; i < state_.size(); ++i)
            if (state_[i] == TBufState::FREE) {
                idx = int(i);
                break;
            }
        if (idx < 0)
            twin::fail(loc, "TQue::AllocTensor", "no free buffer in the queue (hangs on hardware)",
                       twin::strf("all %zu buffers of this TPosition::%s queue are in use (%s)", state_.size(),
                                  twin::position_name(twin_position()), describe().c_str()));
        if (live >= twin::queue_detail::kMaxLivePerPosition)
            twin::fail(loc, "TQue::AllocTensor", "at most 8 live tensors per TPosition",
                       twin::strf("%d tensors of TPosition::%s are already allocated and not freed", live,
                                  twin::position_name(twin_position())));
        state_[idx] = TBufState::OCCUPIED;
        twin::hz::que_wait(free_tok_[idx], kFreeEvt);  // WaitFlag<freeBufEvt> of the buffer's last FreeTensor
        ++live;
        c.counters.queue_ops++;
        return make<T>(idx);
    }
    template <class T> void AllocTensor(LocalTensor<T>& t, twin::SrcLoc loc = twin::SrcLoc::here()) {
        t = AllocTensor<T>(loc);
    }
    template <class T> bool EnQue(const LocalTensor<T>& t, twin::SrcLoc loc = twin::SrcLoc::here()) {
        check_ready(loc, "TQue::EnQue");
        t.twin_check_live(loc, "TQue::EnQue", "the tensor");
        int idx = find(loc, "TQue::EnQue", t);
        if (state_[idx] != TBufState::OCCUPIED)
            twin::fail(loc, "TQue::EnQue", "EnQue needs an OCCUPIED tensor (from AllocTensor)",
                       twin::strf("buffer %d is %s", idx, twin::queue_detail::state_name(state_[idx])));
        if (DEPTH > 0 && int(fifo_.size()) >= DEPTH)
            twin::fail(loc, "TQue::EnQue", "queue full",
                       twin::strf("depth %d and %zu tensors already enqueued", int(DEPTH), fifo_.size()));
        state_[idx] = TBufState::ENQUE;
        twin::hz::que_signal(enq_tok_[idx], kEnQueEvt);  // SetFlag<enQueEvt>
        fifo_.push_back(idx);
        twin::core(loc).counters.queue_ops++;
        return true;
    }
    template <class T> LocalTensor<T> DeQue(twin::SrcLoc loc = twin::SrcLoc::here()) {
        check_ready(loc, "TQue::DeQue");
        if (fifo_.empty())
            twin::fail(loc, "TQue::DeQue", "DeQue on an empty queue (hangs on hardware)",
                       twin::strf("TPosition::%s queue: %s", twin::position_name(twin_position()), describe().c_str()));
        int idx = fifo_.front();
        fifo_.pop_front();
        state_[idx] = TBufState::DEQUE;
        twin::hz::que_wait(enq_tok_[idx], kEnQueEvt);  // WaitFlag<enQueEvt>
        twin::core(loc).counters.queue_ops++;
        return make<T>(idx);
    }
    template <class T> void DeQue(LocalTensor<T>& t, twin::SrcLoc loc = twin::SrcLoc::here()) { t = DeQue<T>(loc); }
    // As in v8.5.0 the tensor is a non-const lvalue reference. The buffer must not be FREE (the real
    // queue's only check); scratch use (AllocTensor -> use -> FreeTensor, no EnQue/DeQue) is allowed.
    // An ENQUE buffer is refused too: its later DeQue would hand out a freed buffer.
    template <class T> void FreeTensor(LocalTensor<T>& t, twin::SrcLoc loc = twin::SrcLoc::here()) {
        check_ready(loc, "TQue::FreeTensor");
        int idx = find(loc, "TQue::FreeTensor", t);
        if (state_[idx] == TBufState::FREE)
            twin::fail(loc, "TQue::FreeTensor", "FreeTensor of a buffer that is already free",
                       twin::strf("buffer %d is FREE (freed twice, or never allocated)", idx));
        t.twin_check_live(loc, "TQue::FreeTensor", "the tensor");
        if (state_[idx] == TBufState::ENQUE)
            twin::fail(loc, "TQue::FreeTensor", "FreeTensor of an enqueued buffer (DeQue it first)",
                       twin::strf("buffer %d is ENQUE; its DeQue would return a freed buffer", idx));
        state_[idx] = TBufState::FREE;
        twin::hz::que_signal(free_tok_[idx], kFreeEvt);  // SetFlag<freeBufEvt>
        twin::BufLife& life = life_of(idx);
        life.epoch++;
        life.freed_at = loc;
        twin::CoreCtx& c = twin::core(loc);
        --c.live_per_pos[int(twin_position())];
        c.counters.queue_ops++;
    }
    bool VacantInQue() const { return DEPTH <= 0 || int(fifo_.size()) < DEPTH; }
    bool HasTensorInQue() const { return !fifo_.empty(); }
    int32_t GetTensorCountInQue() const { return int32_t(fifo_.size()); }
    bool HasIdleBuffer() const {
        for (TBufState s : state_)
            if (s == TBufState::FREE) return true;
        return false;
    }
    template <class T> TBufState GetState(const LocalTensor<T>& t) const {
        for (size_t i = 0; i < state_.size(); ++i)
            if (first_ + i * len_ == t.twin_offset()) return state_[i];
        return TBufState::FREE;
    }
    void FreeAllEvent() {}

    // --- twin internals ---
    void twin_init(const twin::BufOwner* pipe, TPosition, uint32_t first, uint32_t num, uint32_t len, uint32_t gen) {
        pipe_ = pipe;
        first_ = first;
        len_ = len;
        gen_ = gen;
        state_.assign(num, TBufState::FREE);
        enq_tok_.assign(num, twin::hz::Token{});
        free_tok_.assign(num, twin::hz::Token{});
        fifo_.clear();
    }

private:
    void check_ready(const twin::SrcLoc& loc, const char* api) const {
        if (!pipe_) twin::fail(loc, api, "queue not initialised", "call TPipe::InitBuffer on this queue first");
        if (!pipe_->twin_alive() || pipe_->twin_generation() != gen_)
            twin::fail(loc, api, "queue buffers were released",
                       "TPipe::Reset/Destroy or TBufPool::Reset released this queue's buffers; call InitBuffer again");
    }
    template <class T> int find(const twin::SrcLoc& loc, const char* api, const LocalTensor<T>& t) const {
        if (t.twin_valid() && t.twin_mem() == twin::pos_mem(twin_position()) && t.twin_offset() >= first_) {
            uint32_t rel = t.twin_offset() - first_;
            if (rel % len_ == 0 && rel / len_ < state_.size()) return int(rel / len_);
        }
        twin::fail(loc, api, "tensor does not belong to this queue",
                   twin::strf("tensor at %s offset %u; queue buffers are %zu x %u B from offset %u",
                              twin::mem_name(t.twin_mem()), t.twin_offset(), state_.size(), len_, first_));
    }
    template <class T> LocalTensor<T> make(int idx) const {
        twin::CoreCtx& c = twin::core();
        twin::Mem m = twin::pos_mem(twin_position());
        uint32_t off = first_ + uint32_t(idx) * len_;
        return LocalTensor<T>(twin::LocalTag{}, c.mem(m), m, twin_position(), off, off + len_,
                              len_ / uint32_t(sizeof(T)), &life_of(idx));
    }
    // The core's life record of buffer idx (keyed by memory and offset, so it survives re-initialisation).
    twin::BufLife& life_of(int idx) const {
        twin::Mem m = twin::pos_mem(twin_position());
        uint64_t key = (uint64_t(int(m)) << 32) | (first_ + uint32_t(idx) * len_);
        return twin::core().buf_life[key];
    }
    std::string describe() const {
        std::string s;
        for (size_t i = 0; i < state_.size(); ++i) {
            if (i) s += ", ";
            s += twin::strf("buffer %zu %s", i, twin::queue_detail::state_name(state_[i]));
        }
        return s;
    }

    const twin::BufOwner* pipe_ = nullptr;
    uint32_t first_ = 0, len_ = 0, gen_ = 0;
    std::vector<TBufState> state_;
    std::deque<int> fifo_;
    // Implied events (hazard.h): enQueEvt from EnQue to DeQue, freeBufEvt from FreeTensor to AllocTensor.
    static constexpr HardEvent kEnQueEvt = twin::hz::que_event(SRC, DST, true);
    static constexpr HardEvent kFreeEvt = twin::hz::que_event(SRC, DST, false);
    std::vector<twin::hz::Token> enq_tok_, free_tok_;
};

template <TPosition POS, int32_t DEPTH, auto MASK = 0> using TQue = TQueBind<POS, POS, DEPTH, MASK>;

// A single buffer for scratch data; Get/GetWithOffset hand out views without a state machine.
template <TPosition POS = TPosition::VECCALC> class TBuf {
public:
    static constexpr TPosition twin_position() { return POS; }
    static constexpr bool twin_is_tbuf() { return true; }

    template <class T> LocalTensor<T> Get(twin::SrcLoc loc = twin::SrcLoc::here()) const {
        check_ready(loc, "TBuf::Get");
        return make<T>(0, len_ / uint32_t(sizeof(T)));
    }
    template <class T> LocalTensor<T> Get(uint32_t len, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        check_ready(loc, "TBuf::Get");
        if (uint64_t(len) * sizeof(T) > len_)
            twin::fail(loc, "TBuf::Get", "length exceeds the buffer",
                       twin::strf("%u elements x %zu B > %u B buffer", len, sizeof(T), len_));
        return make<T>(0, len);
    }
    template <class T>
    LocalTensor<T> GetWithOffset(uint32_t size, uint32_t bufOffset, twin::SrcLoc loc = twin::SrcLoc::here()) const {
        check_ready(loc, "TBuf::GetWithOffset");
        if (bufOffset % 32 != 0)
            twin::fail(loc, "TBuf::GetWithOffset", "bufOffset must be 32-byte aligned",
                       twin::strf("bufOffset = %u", bufOffset));
        if (uint64_t(bufOffset) + uint64_t(size) * sizeof(T) > len_)
            twin::fail(loc, "TBuf::GetWithOffset", "range exceeds the buffer",
                       twin::strf("offset %u + %u elements x %zu B > %u B buffer", bufOffset, size, sizeof(T), len_));
        return make<T>(bufOffset, size);
    }

    // --- twin internals ---
    void twin_init(const twin::BufOwner* pipe, TPosition, uint32_t off, uint32_t len, uint32_t gen) {
        pipe_ = pipe;
        off_ = off;
        len_ = len;
        gen_ = gen;
    }

private:
    void check_ready(const twin::SrcLoc& loc, const char* api) const {
        if (!pipe_) twin::fail(loc, api, "TBuf not initialised", "call TPipe::InitBuffer on this TBuf first");
        if (!pipe_->twin_alive() || pipe_->twin_generation() != gen_)
            twin::fail(loc, api, "TBuf buffer was released",
                       "TPipe::Reset/Destroy or TBufPool::Reset released this buffer; call InitBuffer again");
    }
    template <class T> LocalTensor<T> make(uint32_t rel, uint32_t elems) const {
        twin::CoreCtx& c = twin::core();
        twin::Mem m = twin::pos_mem(POS);
        return LocalTensor<T>(twin::LocalTag{}, c.mem(m), m, POS, off_ + rel, off_ + len_, elems);
    }
    const twin::BufOwner* pipe_ = nullptr;
    uint32_t off_ = 0, len_ = 0, gen_ = 0;
};

// TBufPool: a region of UB or L1 carved from a TPipe (TPipe::InitBufPool) or from another pool, in which
// queues, TBufs and sub-pools are initialised; Reset releases all of them at once (their later use is an
// error) so the region can be reused, possibly by another pool sharing its start (InitBufPool with shareBuf).
template <TPosition pos, uint32_t bufIDSize = defaultBufIDSize> class TBufPool : public twin::BufOwner {
public:
    static constexpr TPosition poolPos = pos;
    static_assert(twin::pos_mem(pos) == twin::Mem::UB || twin::pos_mem(pos) == twin::Mem::L1,
                  "TbufPool Position should be one of A1/B1/C1/VECIN/VECOUT/VECCALC");
    TBufPool() = default;
    TBufPool(const TBufPool&) = delete;
    TBufPool& operator=(const TBufPool&) = delete;

    template <class Q> bool InitBuffer(Q& que, uint8_t num, uint32_t len, twin::SrcLoc loc = twin::SrcLoc::here()) {
        const TPosition qpos = Q::twin_position();
        if (num == 0) twin::fail(loc, "TBufPool::InitBuffer", "queue needs at least one buffer", "num = 0");
        uint32_t rlen = (len + 31u) / 32u * 32u;
        uint32_t first = carve(loc, qpos, uint64_t(num) * rlen, "TBufPool::InitBuffer");
        que.twin_init(this, qpos, first, num, rlen, gen_);
        return true;
    }
    template <TPosition bufPos>
    bool InitBuffer(TBuf<bufPos>& buf, uint32_t len, twin::SrcLoc loc = twin::SrcLoc::here()) {
        uint32_t rlen = (len + 31u) / 32u * 32u;
        uint32_t off = carve(loc, bufPos, rlen, "TBufPool::InitBuffer");
        buf.twin_init(this, bufPos, off, rlen, gen_);
        return true;
    }
    template <class T> bool InitBufPool(T& bufPool, uint32_t len, twin::SrcLoc loc = twin::SrcLoc::here()) {
        uint32_t rlen = (len + 31u) / 32u * 32u;
        uint32_t off = carve(loc, T::poolPos, rlen, "TBufPool::InitBufPool");
        bufPool.twin_init_pool(this, twin::pos_mem(T::poolPos), off, rlen);
        return true;
    }
    template <class T, class U>
    bool InitBufPool(T& bufPool, uint32_t len, U& shareBuf, twin::SrcLoc loc = twin::SrcLoc::here()) {
        return bufPool.twin_init_shared(this, len, shareBuf, loc, "TBufPool::InitBufPool");
    }
    // Releases every queue, TBuf and sub-pool initialised in this pool.
    void Reset() {
        cursor_ = 0;
        ++gen_;
    }

    // --- twin internals ---
    bool twin_alive() const override {
        return parent_ && parent_->twin_alive() && parent_->twin_generation() == parent_gen_;
    }
    uint32_t twin_generation() const override { return gen_; }
    twin::Mem twin_mem() const { return mem_; }
    uint32_t twin_base() const { return base_; }
    uint32_t twin_len() const { return len_; }
    void twin_init_pool(const twin::BufOwner* parent, twin::Mem m, uint32_t base, uint32_t len) {
        parent_ = parent;
        parent_gen_ = parent->twin_generation();
        mem_ = m;
        base_ = base;
        len_ = len;
        cursor_ = 0;
        ++gen_;
    }
    template <class U>
    bool twin_init_shared(const twin::BufOwner* parent, uint32_t len, U& shareBuf, const twin::SrcLoc& loc, const char* api) {
        uint32_t rlen = (len + 31u) / 32u * 32u;
        if (!shareBuf.twin_alive())
            twin::fail(loc, api, "shareBuf must be an initialised, live TBufPool", "shareBuf was not initialised or was released");
        if (twin::pos_mem(poolPos) != shareBuf.twin_mem())
            twin::fail(loc, api, "the pool and shareBuf must be in the same memory",
                       twin::strf("pool in %s, shareBuf in %s", twin::mem_name(twin::pos_mem(poolPos)),
                                  twin::mem_name(shareBuf.twin_mem())));
        if (rlen > shareBuf.twin_len())
            twin::fail(loc, api, "len must not exceed shareBuf's length",
                       twin::strf("len = %u (rounded to %u), shareBuf holds %u bytes", len, rlen, shareBuf.twin_len()));
        twin_init_pool(parent, shareBuf.twin_mem(), shareBuf.twin_base(), rlen);
        return true;
    }

private:
    uint32_t carve(const twin::SrcLoc& loc, TPosition p, uint64_t bytes, const char* api) {
        if (!parent_) twin::fail(loc, api, "TBufPool not initialised", "call TPipe::InitBufPool (or TBufPool::InitBufPool) first");
        if (!twin_alive())
            twin::fail(loc, api, "TBufPool was released", "the TPipe or parent pool it came from was reset");
        if (twin::pos_mem(p) != mem_)
            twin::fail(loc, api, "buffer position must be in the pool's memory",
                       twin::strf("TPosition::%s is in %s, the pool in %s", twin::position_name(p),
                                  twin::mem_name(twin::pos_mem(p)), twin::mem_name(mem_)));
        if (cursor_ + bytes > len_)
            twin::fail(loc, api, "TBufPool capacity exceeded",
                       twin::strf("%llu B requested at pool offset %u, the pool holds %u B", (unsigned long long)bytes,
                                  cursor_, len_));
        uint32_t off = base_ + cursor_;
        cursor_ += uint32_t(bytes);
        return off;
    }
    const twin::BufOwner* parent_ = nullptr;
    uint32_t parent_gen_ = 0;
    twin::Mem mem_ = twin::Mem::NONE;
    uint32_t base_ = 0, len_ = 0, cursor_ = 0, gen_ = 0;
};

}  // namespace AscendC
