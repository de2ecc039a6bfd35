// What bareasio's dependency tells Asio in every translation unit
// (meson.build's bareasio_args), as Asio sees it. The standard header comes
// first on purpose: Asio 1.22 chose aligned_alloc in units where one did,
// operator new in units that began with Asio, and freed one kind with the
// other (GCC 12: -Wmismatched-new-delete in user code).
#include <cstddef>

#include <asio/detail/config.hpp>

#include "../support/doctest.hpp"

TEST_CASE("asio flags: handler memory is operator new in every unit, whatever came first") {
#if defined(ASIO_HAS_STD_ALIGNED_ALLOC)
    FAIL("ASIO_HAS_STD_ALIGNED_ALLOC is set here, and would not be in a unit that includes "
         "Asio first: build with ASIO_DISABLE_STD_ALIGNED_ALLOC");
#endif
    CHECK(ASIO_RECYCLING_ALLOCATOR_CACHE_SIZE == 4);
}
