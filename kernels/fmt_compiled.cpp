// fmt's compiled part, built into parsweep's own binaries instead of linking Debian's
// libfmt.so: that shared library needs libstdc++.so, and loading the C++ runtime at start
// costs every worker process about 0.5 ms (bench/README.md, "The harness's own cost").
//
// format-inl.h holds the definitions of what fmt's headers declare; the templates that
// format.h declares `extern template` (and the locale and float-formatting ones the
// library instantiates for its users) are instantiated here, once, for char.
#include <fmt/format-inl.h>

FMT_BEGIN_NAMESPACE
namespace detail {

template FMT_API auto dragonbox::to_decimal(float x) noexcept -> dragonbox::decimal_fp<float>;
template FMT_API auto dragonbox::to_decimal(double x) noexcept -> dragonbox::decimal_fp<double>;
template FMT_API locale_ref::locale_ref(const std::locale& loc);
template FMT_API auto locale_ref::get<std::locale>() const -> std::locale;
template FMT_API auto thousands_sep_impl(locale_ref) -> thousands_sep_result<char>;
template FMT_API auto decimal_point_impl(locale_ref) -> char;

}  // namespace detail
FMT_END_NAMESPACE
