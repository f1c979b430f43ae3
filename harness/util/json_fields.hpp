// One field list per record: a std::tuple of fields, each naming a JSON key and how the
// record's value is written and read, and, for the records that are also CSV rows, its
// column. to_json, from_json and the CSV columns are derived from it, so that a new field is
// one line. A record whose JSON is exactly its members uses nlohmann's
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE instead; a table is for records where some keys are
// renamed, formatted, omitted or optional.
//
// nlohmann::json keeps an object's keys sorted, so a table's order does not change the JSON
// written; it is the order in which from_json reads the keys (and so which missing key an
// error names first) and the order of the CSV columns.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace parsweep::fields {

using json = nlohmann::json;

// How a key is read back.
enum class Read {
    required,  // absent: json::out_of_range (403), naming the key
    optional,  // absent: the member keeps what it had (the record's default)
};

// A value as JSON: an empty optional is null.
template <class M>
json value_json(const M& v) {
    return v;
}
template <class M>
json value_json(const std::optional<M>& v) {
    return v ? json(*v) : json();
}

// A member written as it is under `name` (an empty optional as null).
template <class T, class M>
struct Member {
    std::string_view name;
    M T::*member;
    Read read = Read::required;

    void write(json& j, const T& v) const { j[std::string(name)] = value_json(v.*member); }
    void read_into(const json& j, T& v) const {
        if (read == Read::optional && !j.contains(name)) return;
        v.*member = j.at(name).template get<M>();
    }
    template <class Cell>
    void csv_cell(const T&, Cell&&) const {}  // not a CSV column
};

// A member that is also a CSV column: its cell is the member itself, or `text(member)` when
// Text is a function (std::nullptr_t: none).
template <class T, class M, class Text = std::nullptr_t>
struct Column : Member<T, M> {
    std::string_view csv;  // the column's name
    Text text = nullptr;

    // `cell(column, value)`: the member, or its text.
    template <class Cell>
    void csv_cell(const T& v, Cell&& cell) const {
        if constexpr (std::is_null_pointer_v<Text>)
            cell(csv, v.*this->member);
        else
            cell(csv, text(v.*this->member));
    }
};

// A field with its own writer and reader (a formatted or conditional key): `write(j, v)`
// sets the keys it owns in `j`, `read(j, v)` takes them back. Never a CSV column.
template <class T, class W, class R>
struct Custom {
    std::string_view name;
    W write_fn;
    R read_fn;

    void write(json& j, const T& v) const { write_fn(j, v); }
    void read_into(const json& j, T& v) const { read_fn(j, v); }
    template <class Cell>
    void csv_cell(const T&, Cell&&) const {}
};

template <class T, class M>
constexpr Member<T, M> member(std::string_view name, M T::*m, Read read = Read::required) {
    return {name, m, read};
}

// A member that is also the CSV column of its JSON name.
template <class T, class M>
constexpr Column<T, M> column(std::string_view name, M T::*m, Read read = Read::required) {
    return {{name, m, read}, name};
}

// A member that is also the CSV column `csv`, whose cell is `text(member)`.
template <class T, class M>
constexpr Column<T, M, std::string (*)(const M&)> column(std::string_view name, M T::*m, Read read,
                                                         std::string_view csv,
                                                         std::string (*text)(const M&)) {
    return {{name, m, read}, csv, text};
}

template <class T, class W, class R>
constexpr Custom<T, W, R> custom(std::string_view name, W write, R read) {
    return {name, std::move(write), std::move(read)};
}

// Every field of `table` written into a JSON object.
template <class T, class Table>
json write_fields(const T& v, const Table& table) {
    json j = json::object();
    std::apply([&](const auto&... f) { (f.write(j, v), ...); }, table);
    return j;
}

// Every field of `table` read from `j` into `v`, in the table's order.
template <class T, class Table>
void read_fields(const json& j, T& v, const Table& table) {
    std::apply([&](const auto&... f) { (f.read_into(j, v), ...); }, table);
}

// `cell(column, value)` for each CSV column of `table`, in order: a value is the member
// itself, or a std::string when the field renders it.
template <class T, class Table, class Cell>
void csv_cells(const T& v, const Table& table, Cell&& cell) {
    std::apply([&](const auto&... f) { (f.csv_cell(v, cell), ...); }, table);
}

// The CSV columns of `table`, in order.
template <class T, class Table>
std::vector<std::string_view> csv_columns(const Table& table) {
    std::vector<std::string_view> names;
    csv_cells(T{}, table, [&](std::string_view column, const auto&) { names.push_back(column); });
    return names;
}

}  // namespace parsweep::fields

// Defines to_json(json&, const Type&) and from_json(const json&, Type&), found by nlohmann's
// ADL, from the field list `table` (declare them beside Type, use this in a .cpp).
#define PARSWEEP_JSON_FROM_FIELDS(Type, table)                   \
    void to_json(::parsweep::fields::json& j, const Type& v) {   \
        j = ::parsweep::fields::write_fields(v, table);          \
    }                                                            \
    void from_json(const ::parsweep::fields::json& j, Type& v) { \
        ::parsweep::fields::read_fields(j, v, table);            \
    }
