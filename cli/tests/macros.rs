/// Defines one integration test with a fresh, empty temporary directory and a
/// `misp-guard` command whose working directory is that directory:
///
/// ```ignore
/// mgtest!(name, |dir: Dir, cmd: TestCommand| { … });
/// ```
#[macro_export]
macro_rules! mgtest {
    ($name:ident, |$dir:ident: Dir, $cmd:ident: TestCommand| $body:block) => {
        #[test]
        fn $name() {
            #[allow(unused_mut, unused_variables)]
            let ($dir, mut $cmd) = $crate::util::setup(stringify!($name));
            $body
        }
    };
}
