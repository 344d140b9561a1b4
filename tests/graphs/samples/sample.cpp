#include <string>
#include <vector>

namespace sample {

template <typename T>
T largest(const std::vector<T>& xs) {
    T best = xs.front();
    for (const auto& x : xs) {
        if (x > best) best = x;
    }
    return best;
}

std::string greet(const std::string& name) { return "hello " + name; }

}  // namespace sample
