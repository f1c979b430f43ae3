// An enum's names, from its NLOHMANN_JSON_SERIALIZE_ENUM table: the one place they are
// written, so that the JSON, the text of labels and CSV cells, and the choices a config is
// checked against cannot disagree.
//
// The macro keeps its table inside the to_json and from_json it defines, so it is read back
// through to_json, value by value. That needs the enum's values to be 0, 1, … (an enum's
// default numbering), each in the table: to_json writes a value past the last one as the
// table's first name, and that repeat ends the list.
#pragma once

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

namespace parsweep {

// E's names in the order of its values.
template <class E>
const std::vector<std::string>& enum_names() {
    static_assert(std::is_enum_v<E>);
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (std::underlying_type_t<E> i = 0;; ++i) {
            std::string name = nlohmann::json(static_cast<E>(i)).template get<std::string>();
            if (std::find(out.begin(), out.end(), name) != out.end()) return out;
            out.push_back(std::move(name));
        }
    }();
    return names;
}

// The name of `e`, as its JSON is.
template <class E>
const std::string& enum_name(E e) {
    return enum_names<E>().at(static_cast<std::size_t>(e));
}

// The value named `name`; nullopt for a name not in the table (where from_json would take
// the first value instead).
template <class E>
std::optional<E> enum_from_name(std::string_view name) {
    const auto& names = enum_names<E>();
    const auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) return std::nullopt;
    return static_cast<E>(it - names.begin());
}

}  // namespace parsweep
