#include "minidl/core/parallel.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "minidl/core/error.h"

extern "C" void openblas_set_num_threads(int);

namespace minidl {

namespace {

int default_threads() {
  if (const char* env = std::getenv("MINIDL_NUM_THREADS")) {
    const int n = std::atoi(env);
    if (n > 0) return n;
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

std::atomic<int> g_num_threads{0};
thread_local bool t_in_region = false;

class Pool {
 public:
  static Pool& instance() {
    static Pool pool;
    return pool;
  }

  // Runs fn(i) for i in [0, chunks) with chunk 0 on the calling thread.
  void run(int chunks, const std::function<void(int)>& fn) {
    std::unique_lock<std::mutex> region(region_mutex_, std::try_to_lock);
    if (!region.owns_lock() || t_in_region) {  // busy or nested: run serially
      for (int i = 0; i < chunks; ++i) fn(i);
      return;
    }
    ensure_workers(chunks - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      chunks_ = chunks;
      next_chunk_ = 1;
      pending_ = chunks - 1;
      error_ = nullptr;
      ++generation_;
    }
    wake_.notify_all();
    t_in_region = true;
    std::exception_ptr mine;
    try {
      fn(0);
    } catch (...) {
      mine = std::current_exception();
    }
    t_in_region = false;
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    if (mine) std::rethrow_exception(mine);
    if (error_) std::rethrow_exception(error_);
  }

  ~Pool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    for (auto& t : workers_) t.join();
  }

 private:
  void ensure_workers(int n) {
    while (static_cast<int>(workers_.size()) < n) workers_.emplace_back([this] { loop(); });
  }

  void loop() {
    t_in_region = true;  // kernels called from a worker never fan out again
    std::uint64_t seen = 0;
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return stop_ || (generation_ != seen && next_chunk_ < chunks_); });
      if (stop_) return;
      const int chunk = next_chunk_++;
      if (next_chunk_ >= chunks_) seen = generation_;
      const auto* job = job_;
      lock.unlock();
      try {
        (*job)(chunk);
      } catch (...) {
        std::lock_guard<std::mutex> g(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      lock.lock();
      if (--pending_ == 0) done_.notify_all();
    }
  }

  std::mutex region_mutex_;
  std::mutex mutex_;
  std::condition_variable wake_, done_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int chunks_ = 0, next_chunk_ = 0, pending_ = 0;
  std::uint64_t generation_ = 0;
  std::exception_ptr error_;
  bool stop_ = false;
};

}  // namespace

int get_num_threads() {
  int n = g_num_threads.load();
  if (n == 0) {
    set_num_threads(default_threads());
    n = g_num_threads.load();
  }
  return n;
}

void set_num_threads(int n) {
  if (n < 1) throw_invalid_argument("set_num_threads: n must be >= 1, received n={}", n);
  g_num_threads.store(n);
  openblas_set_num_threads(1);  // blas::gemm splits large products over minidl's pool instead
}

void parallel_for(std::int64_t begin, std::int64_t end, std::int64_t grain,
                  const std::function<void(std::int64_t, std::int64_t)>& fn) {
  const std::int64_t total = end - begin;
  if (total <= 0) return;
  grain = std::max<std::int64_t>(grain, 1);
  const std::int64_t max_chunks = std::min<std::int64_t>(get_num_threads(), (total + grain - 1) / grain);
  if (max_chunks <= 1 || t_in_region) {
    fn(begin, end);
    return;
  }
  const auto chunks = static_cast<int>(max_chunks);
  const std::int64_t step = (total + chunks - 1) / chunks;
  Pool::instance().run(chunks, [&](int c) {
    const std::int64_t lo = begin + c * step;
    const std::int64_t hi = std::min(end, lo + step);
    if (lo < hi) fn(lo, hi);
  });
}

}  // namespace minidl
