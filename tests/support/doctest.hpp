// doctest from the system (doctest/doctest.h) or from the wrap (doctest.h).
#pragma once
#if __has_include(<doctest/doctest.h>)
#include <doctest/doctest.h>
#else
#include <doctest.h>
#endif
