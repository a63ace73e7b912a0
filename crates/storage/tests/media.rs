//! The local-folder media store on a real folder.

use bytes::Bytes;
use futures_util::TryStreamExt;
use tessera_storage::{Media, MediaError};

#[tokio::test]
async fn put_get_stream_list_delete_round_trip_in_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let media = Media::local(&dir.path().join("media")).unwrap();
    media
        .put("upload/7/ab12-cats.csv", Bytes::from_static(b"text\ncat\n"))
        .await
        .unwrap();
    media
        .put("avatars/1-ff.png", Bytes::from_static(b"\x89PNG"))
        .await
        .unwrap();
    // A plain file on disk, where other tools expect it.
    assert_eq!(
        std::fs::read(dir.path().join("media/upload/7/ab12-cats.csv")).unwrap(),
        b"text\ncat\n"
    );
    assert_eq!(
        &media.get("upload/7/ab12-cats.csv").await.unwrap()[..],
        b"text\ncat\n"
    );
    let (size, stream) = media.stream("upload/7/ab12-cats.csv").await.unwrap();
    let chunks: Vec<Bytes> = stream.try_collect().await.unwrap();
    assert_eq!((size, chunks.concat()), (9, b"text\ncat\n".to_vec()));

    let listed = media.list("upload/").await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].key.as_str(), listed[0].size),
        ("upload/7/ab12-cats.csv", 9)
    );
    assert!(media.list("exports").await.unwrap().is_empty());

    media.delete("upload/7/ab12-cats.csv").await.unwrap();
    media.delete("upload/7/ab12-cats.csv").await.unwrap();
    assert!(matches!(
        media.get("upload/7/ab12-cats.csv").await,
        Err(MediaError::NotFound(_))
    ));
    assert!(matches!(
        media.stream("upload/7/nothing").await,
        Err(MediaError::NotFound(_))
    ));
}

#[tokio::test]
async fn keys_that_could_leave_the_folder_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let media = Media::local(dir.path()).unwrap();
    for bad in [
        "../etc/passwd",
        "/etc/passwd",
        "upload/../../x",
        "upload//x",
        "",
        "upload/./x",
    ] {
        assert!(
            matches!(
                media.put(bad, Bytes::new()).await,
                Err(MediaError::InvalidKey(_))
            ),
            "{bad:?}"
        );
        assert!(
            matches!(media.get(bad).await, Err(MediaError::InvalidKey(_))),
            "{bad:?}"
        );
    }
}
